/**
 * The POSIX case table: plain data that any runner can execute against a mounted directory
 * (see runner.ts; vitest.ts wraps it for vitest). Modelled on go-fuse's posixtest.
 */

/**
 * What a mount can do beyond the baseline every case may assume (lookups, listings, reads, and
 * on a writable mount create, write, truncate, unlink, rename, mkdir, rmdir and chmod). A case
 * lists the capabilities it needs; a mount lacking one has the case skipped with the reason.
 * Each entry says what a mount without the capability does instead.
 */
export const capabilityDocs = {
  writable:
    'Files and directories can be made, changed and removed. Without it (a read-only backend, which mounts read-only through its mountDefaults) every change fails with EROFS; the cases then run on the mount\'s root, which must show the sample tree (writeSampleTree), and every case that makes something is skipped.',
  otherUsers:
    'Users other than the mounting one can use the mount (allow_other, which describeBackend adds), and access is checked from the caller\'s ids and the mode bits (default_permissions, or the backend checking the same way). The cases give their files to the test users with chown as root, so this needs chown. Without it every other user gets EACCES at the mount\'s root, so the cases that act as another user are skipped.',
  callerIdentity:
    'The filesystem learns who calls: a new file, directory, symlink or node belongs to the caller\'s fsuid and to its fsgid, or to the group of a setgid parent directory, and the rules that depend on the caller are applied (set-id bits cleared when a non-member writes or chowns, trusted.* hidden from other users). Without it (fuse-native) every request is the mounting user\'s: new nodes belong to that user, and only what the kernel enforces itself applies.',
  chown:
    'chown(2) by root sets any uid and gid, and lchown those of a symlink itself. Without it chown fails (EPERM, EOPNOTSUPP or ENOSYS) and the owner stays.',
  symlinks:
    'symlink(2) makes a symbolic link that readlink(2) gives back byte for byte, lstat shows as S_IFLNK 0777 with the target\'s length as size, and path walks follow. Without it symlink fails (EPERM, EOPNOTSUPP or ENOSYS) and creates nothing.',
  hardlinks:
    'link(2) gives a second name to the same file: one st_ino, the same bytes, nlink counting the names (as a fresh stat shows them: see coherentLinks). Without it link fails (EPERM, EOPNOTSUPP or ENOSYS) and creates nothing.',
  coherentLinks:
    'Every name of a hard-linked file is one inode to the kernel too: a change made through one name (mode, owner, times, size) shows through the others at once. Needs hardlinks. Without it (a path-layer backend, or the fuse-native driver: each name is its own kernel inode) attributes seen through another name lag until the attribute timeout.',
  unlinkedOpenFiles:
    'Unlinking an open file removes its name at once; the file lives on through its descriptors with nlink 0. Without it (libfuse 2\'s high-level API, fuse-native) the file is renamed to .fuse_hiddenNNN in its directory until the last close.',
  specialFiles:
    'mknod(2) creates fifos and, for root, character and block device nodes that keep their st_rdev. Without it mknod fails and creates nothing.',
  execute:
    'Programs and scripts stored on the mount run: the kernel opens them for execution and maps them. Without it (a mount with noexec, or a backend whose files cannot be mapped) running one fails and the cases that do are skipped.',
  fallocate:
    'fallocate(2) default mode and FALLOC_FL_KEEP_SIZE reserve space (st_blocks grows), FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE frees whole pages and zeroes partial ones, as tmpfs does. Without it every mode fails with EOPNOTSUPP and the file is unchanged.',
  zeroRange:
    'FALLOC_FL_ZERO_RANGE zeroes a range (and extends the file without FALLOC_FL_KEEP_SIZE), as ext4 and xfs do. Needs fallocate. Without it (tmpfs) ZERO_RANGE fails with EOPNOTSUPP and the file is unchanged.',
  seekHoles:
    'lseek SEEK_DATA/SEEK_HOLE report the holes the file really has (page granularity, like tmpfs). Without it the kernel\'s generic answer: all of the file is data and the only hole is at EOF.',
  copyFileRange:
    'copy_file_range(2) is answered by the filesystem itself. Without it the kernel copies through the page cache instead (same bytes, same counts), so the cases would pass without proving the backend\'s own copy; they are skipped.',
  renameFlags:
    'renameat2(2) RENAME_NOREPLACE and RENAME_EXCHANGE, atomically. Without it they fail with EINVAL and nothing moves (plain rename still works).',
  xattrs:
    'user.* extended attributes on files and directories, trusted.* for root, with the kernel\'s permission rules. Without it every xattr call fails with EOPNOTSUPP.',
  subsecondTimes:
    'File times keep at least milliseconds. Without it they keep whole seconds (as tar and many object stores do): the fraction of a time set reads back as zero. Cases that set explicit times compare at the precision the mount has.',
  nanosecondTimes:
    'File times are kept to the nanosecond. Needs subsecondTimes. Without it (fuse-native) they are kept to the millisecond: the digits below it read back as zeros.',
} as const

export type Capability = keyof typeof capabilityDocs

export const allCapabilities: readonly Capability[] = Object.keys(capabilityDocs) as Capability[]

/** One case: a focused check of one rule, with exact values and exact errno codes. */
export interface PosixCase {
  /** Unique, says what is checked: 'a file created by another user belongs to that user'. */
  name: string
  /** Capabilities the case needs; the runner skips it, saying which, when the mount lacks one. */
  needs?: readonly Capability[]
  /**
   * The case checks what a mount WITHOUT these capabilities does instead (for example EOPNOTSUPP
   * for FALLOC_FL_ZERO_RANGE); the runner skips it when the mount has any of them.
   */
  unless?: readonly Capability[]
  /**
   * `dir`: on a writable mount a fresh empty directory inside it, mode 0777, owned by root:root;
   * on a read-only mount the mount's root (which shows the sample tree).
   */
  run(dir: string, tools: CaseTools): Promise<void>
}

/** A user the cases act as. Their ids are looked up when the tools are prepared. */
export interface TestUser {
  readonly name: string
  readonly uid: number
  /** Primary group. */
  readonly gid: number
  /** Every group the user's processes carry, the primary one first. */
  readonly groups: readonly number[]
}

/**
 * The users: `alice` (primary group fusekit-alice, supplementary fusekit-shared), `bob` (primary
 * fusekit-bob, in no other group), `carol` (primary fusekit-carol, supplementary fusekit-shared: a
 * member of alice's shared group who is not alice), `nobody` (65534), `root` (0).
 */
export interface TestUsers {
  readonly root: TestUser
  readonly alice: TestUser
  readonly bob: TestUser
  readonly carol: TestUser
  readonly nobody: TestUser
}

/** The groups, by gid. */
export interface TestGroups {
  readonly root: number
  readonly alice: number
  readonly bob: number
  readonly carol: number
  /** fusekit-shared: alice and carol are members, bob is not. */
  readonly shared: number
  /** nobody's primary group (nogroup, 65534 on Debian). */
  readonly nobody: number
}

/** Who runs a child: a user, or a user with a umask other than the default 022. */
export type Caller = TestUser | { readonly user: TestUser; readonly umask: number }

/** What `stat`/`lstat` give in a child and in the runner: fs.stat(path, { bigint: true }) reduced. */
export interface StatResult {
  /** Type and permission bits (st_mode). */
  mode: number
  uid: number
  gid: number
  ino: bigint
  nlink: number
  size: number
  /** 512-byte units. */
  blocks: number
  rdev: number
  atimeNs: bigint
  mtimeNs: bigint
  ctimeNs: bigint
}

/** What a child function receives as its first argument. */
export interface ChildKit {
  /** node:fs/promises. */
  fs: typeof import('node:fs/promises')
  /** node:fs constants (O_* flags, S_* bits). */
  constants: typeof import('node:fs').constants
  /** 'ok' when the promise resolves, else the error's code ('EACCES', 'EPERM', …). */
  errno(operation: Promise<unknown>): Promise<string>
  stat(path: string): Promise<StatResult>
  lstat(path: string): Promise<StatResult>
  /** Writes `data` at `position` through a fresh descriptor opened with `flags` (default 'r+'). */
  writeAt(path: string, data: string, position: number, flags?: string): Promise<void>
  /** Reads `length` bytes at `position`, as a latin1 string. */
  readAt(path: string, position: number, length: number): Promise<string>
}

/** Result of a shell tool. */
export interface ToolResult {
  code: number | null
  stdout: string
  stderr: string
}

/** A time for `utimens`: nanoseconds since the epoch, UTIME_NOW or UTIME_OMIT. */
export type TimeSpec = bigint | 'now' | 'omit'

/**
 * An errno code as Node names it ('EACCES'), or 'ok'. Node calls EOPNOTSUPP (95 on Linux)
 * 'ENOTSUP'.
 */
export type Errno = string

export interface CaseTools {
  readonly users: TestUsers
  readonly groups: TestGroups
  /** The capabilities of the mount under test (cases that adapt precision ask here). */
  readonly capabilities: ReadonlySet<Capability>
  /** The kernel's page size (`getconf PAGESIZE`): tmpfs counts space and finds holes in pages. */
  readonly pageSize: number
  /** The root of the mount under test. */
  readonly mountDir: string

  /**
   * Where the sample tree (sample-tree.ts) is: on a writable mount it is written into `dir` through
   * the mount (the entries the mount's capabilities allow) and `dir` is returned; on a read-only
   * mount the backend shows it at its root, which is returned.
   */
  sample(dir: string): Promise<string>

  /**
   * Runs `fn` in a new node process under the caller's uid, gid and groups (setpriv), with the
   * caller's umask (022 unless given), and returns its result. `fn` must be self-contained: it is
   * sent as source text, with JSON arguments (bigints allowed both ways); it gets a ChildKit first.
   * An exception in the child is rethrown here. About 50 ms per call: batch a case's operations.
   */
  as<A extends unknown[], R>(caller: Caller, fn: (kit: ChildKit, ...args: A) => Promise<R> | R, ...args: A): Promise<R>

  /** Runs a tool as the caller (umask applied by the shell); never throws for a non-zero exit. */
  run(caller: Caller, command: string, args: readonly string[]): Promise<ToolResult>

  /** Calls from the syscall helper, as the caller; each returns the result or the errno code. */
  /** utimensat(AT_FDCWD, path, times, 0); `null` passes times = NULL. */
  utimens(caller: Caller, path: string, times: readonly [TimeSpec, TimeSpec] | null): Promise<Errno>
  /** fallocate(fd, mode, offset, length) on a descriptor opened O_WRONLY. */
  fallocate(caller: Caller, path: string, mode: number, offset: number, length: number): Promise<Errno>
  /** lseek(fd, offset, SEEK_DATA or SEEK_HOLE) on a descriptor opened O_RDONLY: the offset, or the errno code. */
  seek(caller: Caller, path: string, whence: 'data' | 'hole', offset: number): Promise<number | Errno>
  /**
   * One copy_file_range(2) call: the byte count it returned, or the errno code. With the same
   * path on both sides the file is opened once, O_RDWR, and that descriptor is used for both.
   */
  copyFileRange(caller: Caller, from: { path: string; offset: number }, to: { path: string; offset: number }, length: number): Promise<number | Errno>
  /** renameat2(AT_FDCWD, from, AT_FDCWD, to, flags). */
  rename(caller: Caller, from: string, to: string, flags: number): Promise<Errno>
  /** mknod(path, mode, makedev(major, minor)); `mode` carries the type bits (S_IFIFO, S_IFCHR, …). */
  mknod(caller: Caller, path: string, mode: number, major?: number, minor?: number): Promise<Errno>
  /** lsetxattr/setxattr(path, name, value, flags 0). */
  setxattr(caller: Caller, path: string, name: string, value: string, options?: { noFollow?: boolean }): Promise<Errno>
  /** getxattr: the value as a latin1 string, or { errno }. */
  getxattr(caller: Caller, path: string, name: string, options?: { noFollow?: boolean }): Promise<{ value: string } | { errno: Errno }>
  /** removexattr(path, name). */
  removexattr(caller: Caller, path: string, name: string): Promise<Errno>
  /** llistxattr: the names, sorted, or { errno }. */
  listxattr(caller: Caller, path: string): Promise<{ names: string[] } | { errno: Errno }>

  /**
   * Sets up a file (or a directory) as root from the runner process: creates it, then chowns and
   * chmods it exactly as asked (chown first, so that no bit is cleared). Defaults: root:root,
   * 0644 for a file, 0755 for a directory, empty content.
   */
  make(path: string, spec?: { directory?: boolean; content?: string; uid?: number; gid?: number; mode?: number }): Promise<void>
  /** stat/lstat as root from the runner process, same shape as in a child. */
  stat(path: string): Promise<StatResult>
  lstat(path: string): Promise<StatResult>
  /** Waits this long: only to let a millisecond clock move on between two time-stamped operations. */
  tick(ms?: number): Promise<void>
}
