// The measured phases, in groups that share their setup (a file to read, a tree to walk).
// A group runs once per target and repetition; every timed step is a separate process working on
// the target's directory, never the runner itself.
// `kind` decides which target of the issues applies: 'seq' ≥ 1.0× bindfs, 'meta' ≥ 0.7× bindfs,
// 'rand' has none (shown for information).
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { capture, dropCaches, exec, sync } from './system.mjs'

const filesWorkload = fileURLToPath(new URL('../workloads/files.mjs', import.meta.url))

/** dd of `sizeMiB` MiB: written with fsync, read after dropping caches, read again. */
export function sequential({ sizeMiB }) {
  const label = sizeMiB % 1024 === 0 ? `${sizeMiB / 1024} GiB` : `${sizeMiB} MiB`
  const mibPerSecond = (ms) => sizeMiB / (ms / 1000)
  return {
    key: 'seq',
    phases: [
      { id: 'seq-write', title: `sequential write ${label} (dd bs=1M conv=fsync)`, kind: 'seq', unit: 'MiB/s' },
      { id: 'seq-read-cold', title: `sequential read ${label}, cold (dd bs=1M after drop_caches)`, kind: 'seq', unit: 'MiB/s' },
      { id: 'seq-read-warm', title: `sequential re-read ${label}, warm (dd bs=1M)`, kind: 'seq', unit: 'MiB/s' },
    ],
    async run(target, rep, record) {
      const file = join(target.dir, `seq-${rep}.bin`)
      dropCaches()
      const write = await exec('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${sizeMiB}`, 'conv=fsync', 'status=none'])
      record('seq-write', mibPerSecond(write.ms), write.ms)
      dropCaches()
      const cold = await exec('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M', 'status=none'])
      record('seq-read-cold', mibPerSecond(cold.ms), cold.ms)
      const warm = await exec('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M', 'status=none'])
      record('seq-read-warm', mibPerSecond(warm.ms), warm.ms)
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
      { id: 'files-create', title: `create + write 4 KiB + close, ${count} files`, kind: 'meta', unit: 'files/s' },
      { id: 'files-stat', title: `stat of ${count} files, cold (after drop_caches)`, kind: 'meta', unit: 'files/s' },
      { id: 'files-unlink', title: `unlink of ${count} files, cold (after drop_caches)`, kind: 'meta', unit: 'files/s' },
    ],
    async run(target, rep, record) {
      const dir = join(target.dir, `files-${rep}`)
      await exec('mkdir', [dir])
      for (const phase of ['create', 'stat', 'unlink']) {
        dropCaches()
        const { stdout } = await exec(process.execPath, [filesWorkload, phase, dir, String(count)], { stdout: 'pipe' })
        const { ms } = JSON.parse(stdout)
        record(`files-${phase}`, perSecond(ms), ms)
      }
      await exec('rmdir', [dir])
    },
  }
}

/** `cp -a` of a real tree into the target, `find` with a stat of every entry, `rm -rf`. */
export function tree({ source }) {
  const entries = Number(capture('sh', ['-c', `find "$1" | wc -l`, 'sh', source]))
  const perSecond = (ms) => entries / (ms / 1000)
  // Reading the tree once first keeps the source's own cache state out of the copy's time.
  const warm = () => exec('sh', ['-c', 'find "$1" -type f -print0 | xargs -0 -r cat > /dev/null', 'sh', source])
  return {
    key: 'tree',
    entries,
    phases: [
      { id: 'tree-copy', title: `cp -a of a tree of ${entries} entries (${source})`, kind: 'meta', unit: 'entries/s' },
      { id: 'tree-find-stat', title: `find + lstat of every entry of the copy, cold (after drop_caches)`, kind: 'meta', unit: 'entries/s' },
      { id: 'tree-remove', title: `rm -rf of the copy, cold (after drop_caches)`, kind: 'meta', unit: 'entries/s' },
    ],
    async run(target, rep, record) {
      const copy = join(target.dir, `tree-${rep}`)
      await warm()
      sync()
      const cp = await exec('cp', ['-a', source, copy])
      record('tree-copy', perSecond(cp.ms), cp.ms)
      dropCaches()
      // %s, %i and %n need the inode, so find lstat()s every entry it lists.
      const find = await exec('find', [copy, '-printf', '%i %n %s %m %u %p\\n'])
      record('tree-find-stat', perSecond(find.ms), find.ms)
      dropCaches()
      const rm = await exec('rm', ['-rf', copy])
      record('tree-remove', perSecond(rm.ms), rm.ms)
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
        const { stdout } = await exec('fio', args, { stdout: 'pipe' })
        const { read } = JSON.parse(stdout).jobs[0]
        record(`rand-read-${n}`, read.iops, read.clat_ns.mean / 1e6, { p99us: read.clat_ns.percentile?.['99.000000'] / 1e3 })
      }
    },
    async finish(target) {
      await exec('rm', ['-f', join(target.dir, 'fio.dat')])
    },
  }
}
