import { spawn } from 'node:child_process'
import { lstat, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, expectErrno, run, runCli, runFailing, startMount, type MountProcess } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * Layout: base/source is mirrored at base/deep/mnt; base/outside/target must never change.
 * A relative symlink "../outside/target" in the source escapes the source when the backend would
 * follow it, while the kernel, resolving it inside the mount, lands on base/deep/outside/target,
 * which does not exist: whatever reaches the real target can only have come through the backend.
 */
interface Layout {
  base: string
  source: string
  mnt: string
  outside: string
  target: string
}

async function layout(): Promise<Layout> {
  const base = await mkdtemp(join(tmpdir(), 'fusekit-passthrough-it-'))
  const source = join(base, 'source')
  const outside = join(base, 'outside')
  const mnt = join(base, 'deep/mnt')
  await mkdir(source)
  await mkdir(outside)
  await mkdir(mnt, { recursive: true })
  const target = join(outside, 'target')
  await writeFile(target, 'outside data\n', { mode: 0o644 })
  return { base, source, mnt, outside, target }
}

/** Everything about the outside target that an escaped operation could change (atime: reading it here moves it). */
async function snapshot(path: string): Promise<string> {
  const st = await lstat(path)
  const { stdout: xattrs } = await run('getfattr', ['--absolute-names', '-d', '-m', '-', path])
  return JSON.stringify({ content: await readFile(path, 'utf8'), mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtimeMs, ctime: st.ctimeMs, size: st.size, xattrs })
}

describe.each(['lowlevel', 'fuse-native'])('passthrough mount (%s driver)', (driver) => {
  let l: Layout
  let mount: MountProcess

  beforeAll(async () => {
    l = await layout()
    mount = await startMount({ backend: 'passthrough', mountpoint: l.mnt, args: ['--source', l.source, '--driver', driver] })
  })

  afterAll(async () => {
    try {
      if (mount) expect(await mount.stop(), mount.output()).toBe(0)
    } finally {
      if (l) await rm(l.base, { recursive: true, force: true })
    }
  })

  it('shows changes made directly in the source within the attribute timeout', async () => {
    await mkdir(join(l.source, 'direct'))
    await writeFile(join(l.source, 'direct/file'), 'first version')
    await eventually(async () => expect(await readFile(join(l.mnt, 'direct/file'), 'utf8')).toBe('first version'), 2500)

    // Same size, new content and mtime: auto_cache drops the cached pages.
    await new Promise((resolve) => setTimeout(resolve, 20))
    await writeFile(join(l.source, 'direct/file'), 'second version')
    await eventually(async () => expect(await readFile(join(l.mnt, 'direct/file'), 'utf8')).toBe('second version'), 2500)

    await writeFile(join(l.source, 'direct/file'), 'grown to a longer third version')
    await eventually(async () => expect(await readFile(join(l.mnt, 'direct/file'), 'utf8')).toBe('grown to a longer third version'), 2500)

    await rename(join(l.source, 'direct/file'), join(l.source, 'direct/renamed'))
    await eventually(async () => expect((await readdir(join(l.mnt, 'direct'))).sort()).toEqual(['renamed']), 2500)
    await rm(join(l.source, 'direct/renamed'))
    await eventually(() => expectErrno(stat(join(l.mnt, 'direct/renamed')), 'ENOENT'), 2500)
  })

  it('puts what is created through the mount into the source, owned by the mounting user, with the mode asked for', async () => {
    const dir = join(l.mnt, 'created')
    await run('mkdir', ['-m', '2750', dir])
    await run('sh', ['-c', `umask 077 && install -m 0641 /dev/null ${dir}/file && printf data > ${dir}/data`])
    await run('mkfifo', ['-m', '0620', `${dir}/fifo`])
    await run('ln', ['-s', 'data', `${dir}/link`])
    await run('ln', [`${dir}/data`, `${dir}/hard`])

    const real = (name: string) => lstat(join(l.source, 'created', name))
    const owner = { uid: process.getuid!(), gid: process.getgid!() }
    expect(await real('')).toMatchObject({ ...owner, mode: 0o40000 | 0o2750 })
    expect(await real('file')).toMatchObject({ ...owner, mode: 0o100000 | 0o641 })
    expect(await real('data')).toMatchObject({ ...owner, mode: 0o100000 | 0o600, nlink: 2, size: 4 })
    expect((await real('fifo')).isFIFO()).toBe(true)
    expect((await real('fifo')).mode & 0o7777).toBe(0o620)
    expect((await real('link')).isSymbolicLink()).toBe(true)
    expect((await real('hard')).ino).toBe((await real('data')).ino)
    expect(await readFile(join(l.source, 'created/data'), 'utf8')).toBe('data')
    // The mount shows the real inode numbers.
    expect((await stat(join(l.mnt, 'created/data'))).ino).toBe((await real('data')).ino)
  })

  it('acts on a symlink itself and never on the outside file it points to', async () => {
    await symlink('../outside/target', join(l.source, 'escape'))
    const link = join(l.mnt, 'escape')
    const before = await snapshot(l.target)

    // Calls that do not follow the link reach the backend with the link's own path.
    await run('chown', ['-h', '4321:4321', link])
    await run('touch', ['-h', '-d', '2001-02-03 04:05:06', link])
    await runFailing('setfattr', ['-h', '-n', 'user.escape', '-v', '1', link]) // user.* on a link: EPERM
    await run('setfattr', ['-h', '-n', 'trusted.escape', '-v', '1', link])
    const { stdout: chmodResult } = await run('python3', [
      '-c',
      // chmod of the link inode itself, through an O_PATH descriptor (what lchmod would be).
      'import os,sys\nfd = os.open(sys.argv[1], os.O_PATH | os.O_NOFOLLOW)\ntry:\n  os.chmod(f"/proc/self/fd/{fd}", 0o777); print("changed")\nexcept OSError as e: print(e.errno)',
      link,
    ])
    // Calls that follow the link are resolved by the kernel inside the mount (base/deep/outside/target: missing).
    await runFailing('chmod', ['777', link])
    await runFailing('truncate', ['-s', '0', link])
    await runFailing('sh', ['-c', `echo overwritten > ${link}`])
    await runFailing('setfattr', ['-n', 'user.escape', '-v', '1', link])

    expect(await snapshot(l.target)).toBe(before)
    const real = await lstat(join(l.source, 'escape'))
    expect(real.isSymbolicLink()).toBe(true)
    expect([real.uid, real.gid, real.mtime.getUTCFullYear()]).toEqual([4321, 4321, 2001])
    // Linux cannot change a link's mode: EOPNOTSUPP (95).
    expect(chmodResult.trim()).toBe('95')
    const { stdout } = await run('getfattr', ['--absolute-names', '-h', '-n', 'trusted.escape', join(l.source, 'escape')])
    expect(stdout).toContain('trusted.escape="1"')

    await run('mv', [link, join(l.mnt, 'escape-moved')])
    await run('rm', [join(l.mnt, 'escape-moved')])
    expect(await snapshot(l.target)).toBe(before)
  })

  it('serves names that merely start with dots, while .. stays the kernel’s business', async () => {
    const dir = join(l.mnt, 'dots')
    await mkdir(dir)
    for (const name of ['...', '..x', '.x']) await writeFile(join(dir, name), name)
    expect((await readdir(dir)).sort()).toEqual(['...', '..x', '.x'])
    expect((await readdir(join(l.source, 'dots'))).sort()).toEqual(['...', '..x', '.x'])
    // The kernel resolves ".." itself: from the mount root it leaves the mount, it never asks the backend.
    expect((await run('realpath', [join(l.mnt, 'dots/../..')])).stdout.trim()).toBe(join(l.base, 'deep'))
  })

  it('keeps answering when a directory is swapped for a symlink into the mount itself', async () => {
    await mkdir(join(l.source, 'loop'))
    await writeFile(join(l.source, 'loop/file'), 'x')
    // The kernel now holds /loop as a node (the directory's inode) for the entry timeout (1 s) ...
    await stat(join(l.mnt, 'loop/file'))
    // ... while /loop becomes a symlink to the mountpoint: a backend that followed it would send a
    // request to itself and wait for its own answer forever.
    await rename(join(l.source, 'loop'), join(l.source, 'loop.real'))
    await symlink(l.mnt, join(l.source, 'loop'))
    const chmod = ['-s', 'KILL', '10', 'chmod', '600', join(l.mnt, 'loop/file')]
    if (driver === 'lowlevel') {
      // Through the node it holds, the kernel still reaches the directory itself, now loop.real ...
      await run('timeout', chmod)
      expect((await stat(join(l.source, 'loop.real/file'))).mode & 0o777).toBe(0o600)
    } else {
      // (libfuse 2 sends paths, which the bridge resolves afresh: the symlink at once.)
      expect((await runFailing('timeout', chmod)).code).toBe(1)
    }
    // ... and once it looks the name up again it gets the symlink, which it resolves itself.
    await eventually(async () => {
      const result = await runFailing('timeout', chmod)
      expect(result.code, 'chmod must fail at once, not hang (killed by timeout: code 137)').toBe(1)
    }, 5000)
    expect(await readFile(join(l.mnt, 'loop.real/file'), 'utf8')).toBe('x')
  })

  it('does not write outside the source while a directory is swapped for a symlink underneath (best effort)', async () => {
    await mkdir(join(l.source, 'swap'))
    await writeFile(join(l.source, 'swap/target'), 'inside\n')
    await mkdir(join(l.source, 'swap-parked'))
    await writeFile(join(l.source, 'swap-parked/target'), 'inside\n')
    const before = await snapshot(l.target)

    // One process swaps source/swap between the real directory and a symlink that escapes the
    // source, as fast as it can; another hammers the same path through the mount.
    const swapper = spawn('python3', [
      '-c',
      [
        'import os, sys, time',
        'src = sys.argv[1]',
        'd, parked, tmp = os.path.join(src, "swap"), os.path.join(src, "swap-parked"), os.path.join(src, "swap-link")',
        'end = time.time() + 3',
        'while time.time() < end:',
        '    os.symlink("../outside", tmp)',
        '    os.rename(d, parked + ".x"); os.rename(tmp, d)',
        '    os.unlink(d); os.rename(parked + ".x", d)',
      ].join('\n'),
      l.source,
    ])
    const swapperDone = new Promise<number | null>((resolve) => swapper.once('exit', resolve))
    const target = join(l.mnt, 'swap/target')
    const script = [
      'end=$(( $(date +%s) + 3 ))',
      'while [ $(date +%s) -lt $end ]; do',
      `  chmod 777 ${target}; chown 4321 ${target}; touch -d 2001-01-01 ${target}; truncate -s 1 ${target}`,
      `  setfattr -n user.escape -v 1 ${target}; echo escaped >> ${target}; mv ${target} ${target}.x; mv ${target}.x ${target}`,
      'done 2>/dev/null; true',
    ].join('\n')
    await run('sh', ['-c', script])
    expect(await swapperDone).toBe(0)

    expect(await snapshot(l.target)).toBe(before)
    expect(await readdir(l.outside)).toEqual(['target'])
  })
})

describe('passthrough options through the CLI', () => {
  it('shows --uid/--gid owners and --umask modes without changing the source', async () => {
    const l = await layout()
    await writeFile(join(l.source, 'file'), 'x', { mode: 0o666 })
    await run('chmod', ['0666', join(l.source, 'file')])
    const mount = await startMount({ backend: 'passthrough', mountpoint: l.mnt, args: ['--source', l.source, '--uid', '1234', '--gid', '5678', '--umask', '027'] })
    try {
      const shown = await stat(join(l.mnt, 'file'))
      expect([shown.uid, shown.gid, shown.mode & 0o7777]).toEqual([1234, 5678, 0o640])
      const real = await stat(join(l.source, 'file'))
      expect([real.uid, real.gid, real.mode & 0o7777]).toEqual([process.getuid!(), process.getgid!(), 0o666])
    } finally {
      expect(await mount.stop()).toBe(0)
      await rm(l.base, { recursive: true, force: true })
    }
  })

  it('mounts read-only with --read-only', async () => {
    const l = await layout()
    await writeFile(join(l.source, 'file'), 'kept')
    const mount = await startMount({ backend: 'passthrough', mountpoint: l.mnt, args: ['--source', l.source, '--read-only'] })
    try {
      expect(await readFile(join(l.mnt, 'file'), 'utf8')).toBe('kept')
      await expectErrno(writeFile(join(l.mnt, 'file'), 'changed'), 'EROFS')
      await expectErrno(writeFile(join(l.mnt, 'new'), 'x'), 'EROFS')
      expect(await readFile(join(l.source, 'file'), 'utf8')).toBe('kept')
    } finally {
      expect(await mount.stop()).toBe(0)
      await rm(l.base, { recursive: true, force: true })
    }
  })

  it('refuses a missing --source, a missing directory, and a mountpoint inside the source, with a clear message', async () => {
    const l = await layout()
    try {
      await mkdir(join(l.source, 'inner'))
      const empty = join(l.base, 'empty')
      await mkdir(empty)
      const cases: Array<[string[], RegExp]> = [
        [['mount', 'passthrough', l.mnt], /--source is required/],
        [['mount', 'passthrough', l.mnt, '--source', join(l.base, 'nope')], /source .*nope does not exist/],
        [['mount', 'passthrough', join(l.source, 'inner'), '--source', l.source], /lies inside the source/],
        [['mount', 'passthrough', empty, '--source', empty], /onto itself/],
      ]
      for (const [args, message] of cases) {
        const result = await runCli(args)
        expect(result.code, args.join(' ')).not.toBe(0)
        expect(result.stderr, args.join(' ')).toMatch(message)
      }
    } finally {
      await rm(l.base, { recursive: true, force: true })
    }
  })
})
