import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run, runFailing, startMount, type MountProcess } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const MiB = 1024 * 1024

/** Runs a Python program with arguments; its standard output. */
async function python(program: string, ...args: string[]): Promise<string> {
  return (await run('python3', ['-c', program, ...args])).stdout
}

/** Runs a shell command as nobody (uid and gid 65534, no other groups). */
function asNobody(command: string): Promise<unknown> {
  return run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', command])
}

describe.each(['lowlevel', 'fuse-native'] as const)('a passthrough mount on inodes (%s driver)', (driver) => {
  let base: string
  let source: string
  let mnt: string
  let mount: MountProcess

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'fusekit-passthrough-inodes-'))
    // A source path much longer than the mountpoint's: a path near PATH_MAX in the mount is past
    // it in the source.
    source = join(base, `source-${'s'.repeat(200)}`)
    mnt = join(base, 'mnt')
    await mkdir(source)
    await mkdir(mnt)
    // Other users reach the mount (--allow-other) through these.
    await chmod(base, 0o755)
    await chmod(source, 0o1777)
    mount = await startMount({ backend: 'passthrough', mountpoint: mnt, args: ['--source', source, '--driver', driver, '--allow-other'] })
  })

  afterAll(async () => {
    try {
      if (mount) expect(await mount.stop(), mount.output()).toBe(0)
    } finally {
      if (base) await rm(base, { recursive: true, force: true })
    }
  })

  it('shows every name of a hard-linked file as its source inode', async () => {
    await writeFile(join(mnt, 'a'), 'shared')
    await run('ln', [join(mnt, 'a'), join(mnt, 'b')])
    const [a, b, real] = await Promise.all([stat(join(mnt, 'a')), stat(join(mnt, 'b')), stat(join(source, 'a'))])
    expect([a.ino, b.ino, a.nlink]).toEqual([real.ino, real.ino, 2])
    if (driver === 'lowlevel') {
      // One kernel inode: a change through one name shows at once through the other.
      await writeFile(join(mnt, 'a'), 'grown through a')
      expect((await stat(join(mnt, 'b'))).size).toBe(15)
    }
  })

  it('creates, chmods, renames and removes a file 4,000 bytes deep, past PATH_MAX in the source', async () => {
    const component = 'd'.repeat(200)
    const depth = 20
    const top = join(mnt, 'deep')
    const program = [
      'import os, sys',
      'top, component, depth = sys.argv[1], sys.argv[2], int(sys.argv[3])',
      'path = top',
      'os.mkdir(path)',
      'for _ in range(depth):',
      '    path = os.path.join(path, component); os.mkdir(path)',
      'with open(os.path.join(path, "file"), "w") as f: f.write("deep")',
      'os.chmod(os.path.join(path, "file"), 0o640)',
      'os.rename(os.path.join(path, "file"), os.path.join(path, "renamed"))',
      'mode = os.stat(os.path.join(path, "renamed")).st_mode & 0o7777',
      'os.unlink(os.path.join(path, "renamed"))',
      'print(len(path), oct(mode), os.listdir(path))',
    ].join('\n')
    expect(source.length + (top.length - mnt.length) + depth * (component.length + 1)).toBeGreaterThan(4096)
    const [length, mode, left] = (await python(program, top, component, String(depth))).trim().split(' ')
    expect(Number(length)).toBeGreaterThan(4000)
    expect([mode, left]).toEqual(['0o640', '[]'])
    await run('rm', ['-rf', top])
  })

  it('fallocate: allocates, and punches holes that read as zeros in the source (lowlevel; EOPNOTSUPP through libfuse 2)', async () => {
    const file = join(mnt, 'allocated')
    await writeFile(file, Buffer.alloc(2 * MiB, 0x61))
    if (driver === 'fuse-native') {
      expect((await runFailing('fallocate', ['-p', '-o', '4096', '-l', String(MiB), file])).stderr).toMatch(/not supported|unsupported/)
      return
    }
    const before = await stat(join(source, 'allocated'))
    await run('fallocate', ['-p', '-o', '4096', '-l', String(MiB), file])
    const after = await stat(join(source, 'allocated'))
    expect(after.size).toBe(2 * MiB)
    expect(after.blocks).toBeLessThan(before.blocks)
    const data = await readFile(file)
    expect(data.subarray(4096, 4096 + MiB).equals(Buffer.alloc(MiB))).toBe(true)
    expect(data[4096 + MiB]).toBe(0x61)
    await run('fallocate', ['-o', String(4 * MiB), '-l', String(MiB), file])
    expect((await stat(join(source, 'allocated'))).size).toBe(5 * MiB)
  })

  it('lseek finds the source file’s holes (lowlevel; the kernel’s generic answer through libfuse 2)', async () => {
    const file = join(source, 'sparse')
    await writeFile(file, Buffer.alloc(4096, 1))
    await run('truncate', ['-s', String(4 * MiB), file])
    await run('sh', ['-c', `printf data >> ${file}`])
    const program = 'import os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\nprint(os.lseek(fd, 0, os.SEEK_HOLE), os.lseek(fd, 8192, os.SEEK_DATA))'
    const answer = (await python(program, join(mnt, 'sparse'))).trim()
    // Without LSEEK the kernel sees the whole file as data.
    expect(answer).toBe(driver === 'lowlevel' ? `4096 ${4 * MiB}` : `${4 * MiB + 4} 8192`)
  })

  it('copy_file_range copies between two files of the mount', async () => {
    const data = Buffer.from('0123456789abcdef'.repeat(8192))
    await writeFile(join(mnt, 'copy-from'), data)
    await writeFile(join(mnt, 'copy-to'), '')
    const program = [
      'import os, sys',
      'src, dst = os.open(sys.argv[1], os.O_RDONLY), os.open(sys.argv[2], os.O_WRONLY)',
      'print(os.copy_file_range(src, dst, 100000, 16, 0))',
    ].join('\n')
    expect((await python(program, join(mnt, 'copy-from'), join(mnt, 'copy-to'))).trim()).toBe('100000')
    const copied = await readFile(join(source, 'copy-to'))
    expect(copied.equals(data.subarray(16, 100016))).toBe(true)
  })

  it('renameat2: RENAME_NOREPLACE and RENAME_EXCHANGE (lowlevel; through libfuse 2 the kernel checks NOREPLACE itself and refuses EXCHANGE)', async () => {
    await writeFile(join(mnt, 'left'), 'L')
    await writeFile(join(mnt, 'right'), 'R')
    const program = [
      'import ctypes, os, sys',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'def rename2(a, b, flags):',
      '    ok = libc.renameat2(-100, a.encode(), -100, b.encode(), flags) == 0',
      '    return "ok" if ok else os.strerror(ctypes.get_errno())',
      'print(rename2(sys.argv[1], sys.argv[2], 1) + "|" + rename2(sys.argv[1], sys.argv[2], 2))',
    ].join('\n')
    const answer = (await python(program, join(mnt, 'left'), join(mnt, 'right'))).trim()
    if (driver === 'lowlevel') {
      expect(answer).toBe('File exists|ok')
      expect([await readFile(join(source, 'left'), 'utf8'), await readFile(join(source, 'right'), 'utf8')]).toEqual(['R', 'L'])
    } else {
      expect(answer).toBe('File exists|Invalid argument')
    }
  })

  it('makes what another user creates theirs (lowlevel as root; the mounting user’s through libfuse 2)', async () => {
    const dir = join(mnt, 'others')
    await mkdir(dir, { mode: 0o777 })
    await chmod(dir, 0o1777)
    await mkdir(join(source, 'others/shared'))
    await chown(join(source, 'others/shared'), 0, 4242)
    await chmod(join(source, 'others/shared'), 0o2777)
    await asNobody(`cd ${dir} && echo x > file && mkdir dir && ln -s file link && mkfifo fifo && echo y > shared/file && mkdir shared/sub`)
    const owner = driver === 'lowlevel' ? 65534 : 0
    for (const name of ['file', 'dir', 'link', 'fifo']) {
      const real = await lstat(join(source, 'others', name))
      expect([real.uid, real.gid], name).toEqual([owner, owner])
    }
    expect(await lstat(join(source, 'others/shared/file'))).toMatchObject({ uid: owner, gid: 4242 })
    const sub = await lstat(join(source, 'others/shared/sub'))
    expect([sub.uid, sub.gid, sub.mode & 0o2000]).toEqual([owner, 4242, 0o2000])
  })
})
