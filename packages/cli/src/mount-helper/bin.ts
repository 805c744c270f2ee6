#!/usr/bin/env node
import { runMountHelper } from './run.js'

process.exit(await runMountHelper(process.argv.slice(2)))
