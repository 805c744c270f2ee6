/**
 * The -o options libfuse 2.9 knows (mount, low-level session and high-level API), by name: an
 * option it does not know makes fuse_new fail after fuse_mount has already mounted, so they are
 * checked before anything is mounted.
 */
const LIBFUSE_OPTIONS = new Set([
  // fuse_mount (lib/mount.c) and the kernel's generic flags
  'allow_other', 'allow_root', 'auto_unmount', 'nonempty', 'default_permissions', 'fsname', 'subtype', 'blkdev', 'blksize',
  'max_read', 'user', 'large_read', 'ro', 'rw', 'suid', 'nosuid', 'dev', 'nodev', 'exec', 'noexec', 'async', 'sync',
  'atime', 'noatime', 'dirsync', 'context', 'fscontext', 'defcontext', 'rootcontext',
  // fuse_lowlevel_new (lib/fuse_lowlevel.c)
  'debug', 'max_write', 'max_readahead', 'max_background', 'congestion_threshold', 'async_read', 'sync_read',
  'atomic_o_trunc', 'no_remote_lock', 'no_remote_flock', 'no_remote_posix_lock', 'big_writes', 'splice_write',
  'no_splice_write', 'splice_move', 'no_splice_move', 'splice_read', 'no_splice_read', 'auto_inval_data',
  'no_auto_inval_data', 'readdirplus', 'async_dio', 'no_async_dio', 'writeback_cache', 'no_writeback_cache', 'time_gran',
  // fuse_new (lib/fuse.c) and its modules
  'hard_remove', 'use_ino', 'readdir_ino', 'direct_io', 'kernel_cache', 'auto_cache', 'noauto_cache', 'umask', 'uid',
  'gid', 'entry_timeout', 'negative_timeout', 'attr_timeout', 'ac_attr_timeout', 'noforget', 'remember', 'nopath',
  'intr', 'intr_signal', 'modules', 'subdir', 'rellinks', 'norellinks', 'from_code', 'to_code',
])

/** The raw options libfuse 2.9 would refuse, by the name before any `=`. */
export function unknownToLibfuse(rawOptions: readonly string[]): string[] {
  return rawOptions.filter((raw) => !LIBFUSE_OPTIONS.has(raw.split('=', 1)[0] as string))
}
