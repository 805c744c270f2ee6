#!/usr/bin/env node
import { runCli } from './cli.js'

// Exit explicitly: a mount's native handles would otherwise keep the process alive after unmounting.
process.exit(await runCli(process.argv.slice(2)))
