#!/usr/bin/env node
// The package build's copy of the POSIX cases' syscall helper, for the platform it runs on:
// prebuilds/<platform>-<arch>/fusekit-syscall, shipped so that the kit needs no compiler there.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { compileHelper, prebuiltHelper } from '../dist/cases/syscall-helper.js'

mkdirSync(dirname(prebuiltHelper), { recursive: true })
await compileHelper(prebuiltHelper)
