// The scale group: one directory of N empty files (100,000 by default; 1,000,000 with
// --scale-files), created, listed with `ls -f`, listed with a stat of each (`find -ls`) and
// unlinked. The files are made and removed by a small C helper (workloads/manyfiles.c), so the
// client costs a few microseconds per file on every target. Each FUSE target is remounted before
// each directory: its serving process starts fresh, and what its RSS gains during the create
// phase is what the files cost it.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { scratchDir } from './mounts.mjs'
import { measured, usage } from './phases.mjs'
import { dropCaches, exec } from './system.mjs'

const helperSource = fileURLToPath(new URL('../workloads/manyfiles.c', import.meta.url))

let helper
/** The C helper, compiled into a scratch directory (again after a suite's cleanup removed it). */
function manyfiles() {
  if (!helper || !existsSync(helper)) {
    helper = join(scratchDir(os.tmpdir(), 'fusekit-bench-helper-'), 'manyfiles')
    execFileSync('gcc', ['-O2', '-o', helper, helperSource])
  }
  return helper
}

export function scale({ counts }) {
  const phases = (n) => {
    const files = n.toLocaleString('en-US')
    return [
      { id: `scale-${n}-create`, title: `create of ${files} empty files in one directory`, unit: 'files/s', op: 'file', perFile: true },
      { id: `scale-${n}-ls`, title: `ls -f of ${files} files (unsorted listing, no stat), cold`, unit: 'files/s', op: 'file' },
      { id: `scale-${n}-find`, title: `find -ls of ${files} files (a stat of each), cold`, unit: 'files/s', op: 'file' },
      { id: `scale-${n}-unlink`, title: `unlink of ${files} files, cold`, unit: 'files/s', op: 'file' },
    ]
  }
  return {
    key: 'scale',
    phases: counts.flatMap(phases),
    async run(target, rep, record) {
      for (const n of counts) {
        await target.server?.remount()
        const dir = join(target.dir, `scale-${n}-${rep}`)
        await exec('mkdir', [dir])
        // The helper times its own loop (stdout); ls and find are timed from spawn to exit.
        const timed = (id, result, extra) => {
          const ms = result.stdout ? JSON.parse(result.stdout).ms : result.ms
          record(`scale-${n}-${id}`, n / (ms / 1000), ms, { ...usage(result, n), ...extra })
        }
        dropCaches()
        const create = await measured(target, manyfiles(), ['create', dir, String(n)], { stdout: 'pipe' })
        timed('create', create, create.rssEnd === undefined ? {} : { bytesPerFile: ((create.rssEnd - create.rssStart) * 2 ** 20) / n })
        dropCaches()
        timed('ls', await measured(target, 'ls', ['-f', dir]))
        dropCaches()
        timed('find', await measured(target, 'find', [dir, '-ls']))
        dropCaches()
        timed('unlink', await measured(target, manyfiles(), ['unlink', dir, String(n)], { stdout: 'pipe' }))
        await exec('rmdir', [dir])
      }
    },
  }
}
