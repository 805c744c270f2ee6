// The measured phases, in groups that share their setup (a file to read, a tree to walk).
// A group runs once per target and repetition; every timed step is a separate process working on
// the target's directory, never the runner itself. Each sample carries the phase's operation
// count (`ops`: MiB, files, entries, reads) and what the target's serving process used meanwhile.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { settle, watchProcess } from './process-usage.mjs'
import { capture, dropCaches, exec, sync } from './system.mjs'

const filesWorkload = fileURLToPath(new URL('../workloads/files.mjs', import.meta.url))

/**
 * Runs a command while watching the process that serves `target` (none for tmpfs and direct),
 * once that process has finished what earlier steps left it (the FORGETs of a drop_caches).
 * Returns exec's result with the usage fields of watchProcess, if there was a process to watch.
 */
export async function measured(target, command, args, options) {
  const pid = target.server?.pid()
  if (pid === undefined) return exec(command, args, options)
  await settle(pid)
  const watch = watchProcess(pid)
  const result = await exec(command, args, options)
  return { ...result, ...watch.stop() }
}

/** The extra fields of a sample: the operation count, and CPU seconds in all and per operation. */
export function usage(result, ops) {
  if (result.cpu === undefined) return { ops }
  return { ops, cpu: result.cpu, cpuPerOp: result.cpu / ops, rss: result.rss, rssStart: result.rssStart, rssEnd: result.rssEnd }
}

/** dd of `sizeMiB` MiB: written with fsync, read after dropping caches, read again. */
export function sequential({ sizeMiB }) {
  const label = sizeMiB % 1024 === 0 ? `${sizeMiB / 1024} GiB` : `${sizeMiB} MiB`
  const mibPerSecond = (ms) => sizeMiB / (ms / 1000)
  const dd = async (target, args) => {
    const result = await measured(target, 'dd', [...args, 'bs=1M', 'status=none'])
    return [mibPerSecond(result.ms), result.ms, usage(result, sizeMiB)]
  }
  return {
    key: 'seq',
    phases: [
      { id: 'seq-write', title: `sequential write ${label} (dd bs=1M conv=fsync)`, unit: 'MiB/s', op: 'MiB' },
      { id: 'seq-read-cold', title: `sequential read ${label}, cold (dd bs=1M after drop_caches)`, unit: 'MiB/s', op: 'MiB' },
      { id: 'seq-read-warm', title: `sequential re-read ${label}, warm (dd bs=1M)`, unit: 'MiB/s', op: 'MiB' },
    ],
    async run(target, rep, record) {
      const file = join(target.dir, `seq-${rep}.bin`)
      dropCaches()
      record('seq-write', ...(await dd(target, ['if=/dev/zero', `of=${file}`, `count=${sizeMiB}`, 'conv=fsync'])))
      dropCaches()
      record('seq-read-cold', ...(await dd(target, [`if=${file}`, 'of=/dev/null'])))
      record('seq-read-warm', ...(await dd(target, [`if=${file}`, 'of=/dev/null'])))
      await exec('rm', ['-f', file])
    },
  }
}

/** create + write 4 KiB + close, stat, unlink of `count` files in one directory; caches dropped before each. */
export function smallFiles({ count }) {
  const perSecond = (ms) => count / (ms / 1000)
  return {
    key: 'files',
    phases: [
      { id: 'files-create', title: `create + write 4 KiB + close, ${count} files`, unit: 'files/s', op: 'file' },
      { id: 'files-stat', title: `stat of ${count} files, cold (after drop_caches)`, unit: 'files/s', op: 'file' },
      { id: 'files-unlink', title: `unlink of ${count} files, cold (after drop_caches)`, unit: 'files/s', op: 'file' },
    ],
    async run(target, rep, record) {
      const dir = join(target.dir, `files-${rep}`)
      await exec('mkdir', [dir])
      for (const phase of ['create', 'stat', 'unlink']) {
        dropCaches()
        const result = await measured(target, process.execPath, [filesWorkload, phase, dir, String(count)], { stdout: 'pipe' })
        // The workload times its own loop, without Node's start-up.
        const { ms } = JSON.parse(result.stdout)
        record(`files-${phase}`, perSecond(ms), ms, usage(result, count))
      }
      await exec('rmdir', [dir])
    },
  }
}

/** `cp -a` of a real tree into the target, `find` with a stat of every entry, `rm -rf`. */
export function tree({ source }) {
  const entries = Number(capture('sh', ['-c', `find "$1" | wc -l`, 'sh', source]))
  const timed = (result) => [entries / (result.ms / 1000), result.ms, usage(result, entries)]
  // Reading the tree once first keeps the source's own cache state out of the copy's time.
  const warm = () => exec('sh', ['-c', 'find "$1" -type f -print0 | xargs -0 -r cat > /dev/null', 'sh', source])
  return {
    key: 'tree',
    phases: [
      { id: 'tree-copy', title: `cp -a of a tree of ${entries} entries (${source})`, unit: 'entries/s', op: 'entry' },
      { id: 'tree-find-stat', title: `find + lstat of every entry of the copy, cold (after drop_caches)`, unit: 'entries/s', op: 'entry' },
      { id: 'tree-remove', title: `rm -rf of the copy, cold (after drop_caches)`, unit: 'entries/s', op: 'entry' },
    ],
    async run(target, rep, record) {
      const copy = join(target.dir, `tree-${rep}`)
      await warm()
      sync()
      record('tree-copy', ...timed(await measured(target, 'cp', ['-a', source, copy])))
      dropCaches()
      // %s, %i and %n need the inode, so find lstat()s every entry it lists.
      record('tree-find-stat', ...timed(await measured(target, 'find', [copy, '-printf', '%i %n %s %m %u %p\\n'])))
      dropCaches()
      record('tree-remove', ...timed(await measured(target, 'rm', ['-rf', copy])))
    },
  }
}

/**
 * Random 4 KiB reads with fio (psync), with 1 and with 4 jobs. On a FUSE target fio uses O_DIRECT,
 * which FUSE serves without direct_io by sending each read to the filesystem: every read is then a
 * request, not a page-cache hit. The file is read through the source first, so the FUSE server
 * reads from the source's page cache and the figure is FUSE's cost, not the disk's. A target that
 * is not FUSE (`target.fuse` false) reads buffered from that same warm page cache: the ceiling.
 */
export function randomReads({ sizeMiB, runtime }) {
  const jobs = [1, 4]
  return {
    key: 'fio',
    phases: jobs.map((n) => ({
      id: `rand-read-${n}`,
      title: `random 4 KiB reads, ${n} job${n > 1 ? 's' : ''} (fio psync, ${runtime} s, ${sizeMiB} MiB file)`,
      kind: 'rand',
      unit: 'IOPS',
      op: 'read',
    })),
    async prepare(target) {
      await exec('dd', ['if=/dev/urandom', `of=${join(target.dir, 'fio.dat')}`, 'bs=1M', `count=${sizeMiB}`, 'conv=fsync', 'status=none'])
    },
    async run(target, _rep, record) {
      const file = join(target.dir, 'fio.dat')
      dropCaches()
      await exec('dd', [`if=${target.sourceOf(file)}`, 'of=/dev/null', 'bs=1M', 'status=none'])
      for (const n of jobs) {
        const args = [
          '--name=randread', `--filename=${file}`, '--rw=randread', '--bs=4k', `--size=${sizeMiB}M`,
          `--runtime=${runtime}`, '--time_based', '--ioengine=psync', `--numjobs=${n}`, '--group_reporting',
          `--direct=${target.fuse ? 1 : 0}`, `--invalidate=${target.fuse ? 1 : 0}`, '--output-format=json',
        ]
        const result = await measured(target, 'fio', args, { stdout: 'pipe' })
        const { read } = JSON.parse(result.stdout).jobs[0]
        record(`rand-read-${n}`, read.iops, read.clat_ns.mean / 1e6, { p99us: read.clat_ns.percentile?.['99.000000'] / 1e3, ...usage(result, read.total_ios) })
      }
    },
    async finish(target) {
      await exec('rm', ['-f', join(target.dir, 'fio.dat')])
    },
  }
}
