// The phases of the S3 bench, in groups that share their setup. Each FUSE target runs the same
// shell tools or workload on its own directory of the one bucket; the raw SDK target runs
// workloads/s3-raw.mjs. Every sample records the speed, the time, and the CPU seconds and peak
// RSS of the process that served it (the mount, or the raw workload).
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { watchProcess } from './process-usage.mjs'
import { dropCaches, exec, warmMemory } from './system.mjs'

const filesWorkload = fileURLToPath(new URL('../workloads/files.mjs', import.meta.url))
const rawWorkload = fileURLToPath(new URL('../workloads/s3-raw.mjs', import.meta.url))

/** A command, timed, with what the serving process used meanwhile. */
async function measured(target, command, args) {
  const watch = watchProcess(target.pid())
  const result = await exec(command, args, { stdout: 'pipe' })
  return { ...result, ...watch.stop() }
}

/** A raw SDK workload: it times and measures itself. */
async function raw(bucket, ...args) {
  const { stdout } = await exec(process.execPath, [rawWorkload, args[0], bucket, ...args.slice(1).map(String)], { stdout: 'pipe' })
  return JSON.parse(stdout)
}

/** dd of `sizeMiB` MiB written with fsync (so the object is in S3 when it returns), then read cold. */
export function sequential({ sizeMiB, bucket }) {
  const mibPerSecond = (ms) => sizeMiB / (ms / 1000)
  return {
    key: 'seq',
    phases: [
      { id: 'seq-write', title: `sequential write ${sizeMiB} MiB (dd bs=1M conv=fsync: in S3 when dd ends)`, unit: 'MiB/s', ceiling: 0.9 },
      { id: 'seq-read', title: `sequential read ${sizeMiB} MiB, cold (dd bs=1M after drop_caches)`, unit: 'MiB/s', ceiling: 0.9 },
    ],
    async run(target, rep, record) {
      // Every target, the raw SDK too, starts each phase with memory its host backs (warmMemory).
      if (target.raw) {
        warmMemory(2 * sizeMiB)
        const key = `raw/seq-${rep}.bin`
        const written = await raw(bucket, 'write', key, sizeMiB)
        record('seq-write', mibPerSecond(written.ms), written.ms, { cpu: written.cpu, rss: written.rss })
        warmMemory(2 * sizeMiB)
        const read = await raw(bucket, 'read', key)
        record('seq-read', mibPerSecond(read.ms), read.ms, { cpu: read.cpu, rss: read.rss })
        return
      }
      const file = join(target.work, `seq-${rep}.bin`)
      dropCaches()
      warmMemory(2 * sizeMiB)
      const write = await measured(target, 'dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${sizeMiB}`, 'conv=fsync', 'status=none'])
      record('seq-write', mibPerSecond(write.ms), write.ms, { cpu: write.cpu, rss: write.rss })
      dropCaches()
      warmMemory(2 * sizeMiB)
      const read = await measured(target, 'dd', [`if=${file}`, 'of=/dev/null', 'bs=1M', 'status=none'])
      record('seq-read', mibPerSecond(read.ms), read.ms, { cpu: read.cpu, rss: read.rss })
      await exec('rm', ['-f', file])
    },
  }
}

/**
 * `count` files of 4 KiB: created (open, write, close), stat'ed, read, deleted; caches dropped
 * before each. The unlinks are timed until S3 holds none of the keys (`keysLeft`, a LIST), as
 * the writes are timed until the objects are in S3: fusekit answers unlink before its batched
 * deletion reaches S3, the peers after theirs.
 */
export function smallFiles({ count, bucket, keysLeft }) {
  const perSecond = (ms) => count / (ms / 1000)
  const steps = [
    ['create', 'put'],
    ['stat', 'head'],
    ['read', 'get'],
    ['unlink', 'delete'],
  ]
  return {
    key: 'files',
    phases: [
      { id: 'files-create', title: `create + write 4 KiB + close, ${count} files (raw: PUT)`, unit: 'files/s', ceiling: 1.0 },
      { id: 'files-stat', title: `stat of ${count} files after drop_caches (raw: HEAD)`, unit: 'files/s' },
      { id: 'files-read', title: `read of ${count} files after drop_caches (raw: GET)`, unit: 'files/s' },
      { id: 'files-unlink', title: `unlink of ${count} files (raw: DELETE)`, unit: 'files/s' },
    ],
    async run(target, rep, record) {
      if (target.raw) {
        for (const [step, call] of steps) {
          const result = await raw(bucket, 'files', `raw/files-${rep}/`, count, call)
          record(`files-${step}`, perSecond(result.ms), result.ms, { cpu: result.cpu, rss: result.rss })
        }
        return
      }
      const dir = join(target.work, `files-${rep}`)
      await exec('mkdir', [dir])
      for (const [step] of steps) {
        dropCaches()
        const result = await measured(target, process.execPath, [filesWorkload, step, dir, String(count)])
        let { ms } = JSON.parse(result.stdout)
        if (step === 'unlink') {
          const ended = performance.now()
          while ((await keysLeft(`${target.name}/files-${rep}/`)) > 0) await new Promise((resolve) => setTimeout(resolve, 20))
          ms += performance.now() - ended
        }
        record(`files-${step}`, perSecond(ms), ms, { cpu: result.cpu, rss: result.rss })
      }
      await exec('rmdir', [dir])
    },
  }
}

/**
 * `ls -l` of a directory of `count` objects that carry s3fs headers (put with the SDK beforehand),
 * each mount remounted first so that nothing is cached. Raw: the paged listing alone.
 */
export function longListing({ count, bucket }) {
  const perSecond = (ms) => count / (ms / 1000)
  return {
    key: 'list',
    phases: [{ id: 'list', title: `ls -l of ${count} objects, cold (each mount remounted; raw: ListObjectsV2 pages)`, unit: 'entries/s', ceiling: 1 / 1.5, ceilingFor: 'fusekit-fast' }],
    async run(target, _rep, record) {
      if (target.raw) {
        const result = await raw(bucket, 'list', 'list/')
        if (result.count !== count) throw new Error(`the raw listing found ${result.count} keys, not ${count}`)
        record('list', perSecond(result.ms), result.ms, { cpu: result.cpu, rss: result.rss })
        return
      }
      await target.remount()
      dropCaches()
      const result = await measured(target, 'sh', ['-c', 'ls -l "$1" | wc -l', 'sh', join(target.dir, 'list')])
      // "total" and one line per entry.
      if (Number(result.stdout.trim()) !== count + 1) throw new Error(`ls -l listed ${Number(result.stdout.trim()) - 1} entries, not ${count}`)
      record('list', perSecond(result.ms), result.ms, { cpu: result.cpu, rss: result.rss })
    },
  }
}

/** Random 4 KiB reads in one object of `sizeMiB` MiB for `seconds` (fio psync, O_DIRECT: every read reaches the mount). */
export function randomReads({ sizeMiB, largeMiB, seconds, bucket }) {
  // One reader; four reading one file at once (fio's jobs: four descriptors); one reader of an
  // object larger than the mount's read memory (128 MiB by default).
  const cases = [
    { id: 'random', jobs: 1, key: 'random.bin', mib: sizeMiB },
    { id: 'random4', jobs: 4, key: 'random.bin', mib: sizeMiB },
    ...(largeMiB > 0 ? [{ id: 'random-large', jobs: 1, key: 'random-large.bin', mib: largeMiB }] : []),
  ]
  const what = (jobs) => `${jobs === 1 ? '' : `${jobs} readers, `}fio psync O_DIRECT, ${seconds} s; raw: 4 KiB ranged GETs, ${jobs} at a time`
  return {
    key: 'random',
    phases: cases.map(({ id, jobs, mib }) => ({ id, title: `random 4 KiB reads in a ${mib} MiB object (${what(jobs)})`, unit: 'IOPS' })),
    async run(target, _rep, record) {
      for (const { id, jobs, key, mib } of cases) {
        if (target.raw) {
          const result = await raw(bucket, 'random', key, seconds, jobs)
          record(id, result.count / (result.ms / 1000), result.ms, { cpu: result.cpu, rss: result.rss })
          continue
        }
        dropCaches()
        const args = [
          '--name=randread', `--filename=${join(target.dir, key)}`, '--rw=randread', '--bs=4k', `--size=${mib}M`, `--numjobs=${jobs}`,
          '--group_reporting', `--runtime=${seconds}`, '--time_based', '--ioengine=psync', '--direct=1', '--invalidate=1', '--output-format=json',
        ]
        const result = await measured(target, 'fio', args)
        const { read } = JSON.parse(result.stdout).jobs[0]
        record(id, read.iops, read.clat_ns.mean / 1e6, { cpu: result.cpu, rss: result.rss })
      }
    },
  }
}
