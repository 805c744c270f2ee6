// Calls on a name in a directory the backend holds a descriptor of: making, linking, removing
// and renaming entries. Objects are made as the caller (caller-ids.h) and with exactly the
// permission bits asked for.
#define _GNU_SOURCE
#include "caller-ids.h"
#include "source-calls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

// Reads (dirFd, name) from argv[at], argv[at + 1]: what get_name answers.
static int get_entry(napi_env env, const napi_value *argv, int *dir, char *name) {
  int64_t value;
  if (get_int(env, argv[0], &value)) return 1;
  *dir = (int)value;
  return get_name(env, argv[1], name);
}

// The process umask cleared some of the permission bits asked for (mode & 0777): puts them back,
// keeping what the source added (the set-group-ID bit a directory inherits). Then `out` holds
// the final stat. `by_descriptor`: fd is open (fchmod), else an O_PATH descriptor.
static int keep_mode(int fd, int64_t mode, int by_descriptor, double *out) {
  int rc = stat_into(fd, out);
  mode_t lost = (mode_t)mode & 0777 & ~(mode_t)out[1];
  if (rc < 0 || lost == 0) return rc;
  mode_t wanted = ((mode_t)out[1] & 07777) | lost;
  char path[PROC_FD_BYTES];
  proc_fd_path(fd, path);
  if ((by_descriptor ? fchmod(fd, wanted) : chmod(path, wanted)) != 0) return -errno;
  return stat_into(fd, out);
}

// createAt(dirFd, name, flags, mode, uid, gid, out) -> descriptor of a new regular file, opened
// with `flags` (FILE_OPEN_FLAGS) | -errno (EEXIST when the name is taken). Made by (uid, gid)
// (-1, -1: by this process); its stat in `out`.
napi_value create_at(napi_env env, napi_callback_info info) {
  ARGS(7);
  int dir;
  char name[PATH_BYTES];
  int64_t v[4];
  double *out;
  int bad = get_ints(env, argv + 2, v, 4);
  if (!bad) bad = get_doubles(env, argv[6], &out, STAT_FIELDS);
  if (!bad) bad = get_entry(env, argv, &dir, name);
  if (bad) return refused(env, bad);
  const int64_t flags = v[0], mode = v[1];
  caller_ids_t saved;
  int rc = become_caller(v[2], v[3], &saved);
  if (rc < 0) return number(env, rc);
  int fd = open_beneath(dir, name, (flags & FILE_OPEN_FLAGS) | O_CREAT | O_EXCL | O_NOFOLLOW, mode & 07777);
  become_self(&saved);
  if (fd < 0) return number(env, fd);
  rc = keep_mode(fd, mode, 1, out);
  if (rc < 0) close(fd);
  return number(env, rc < 0 ? rc : fd);
}

// The new object `name` in `dir`, as a node: its O_PATH descriptor, its permission bits made
// exactly `mode`'s (when it is still the type made), its stat in `out`.
static int made(int dir, const char *name, int64_t mode, double *out) {
  int fd = node_at(dir, name, out);
  if (fd < 0 || ((mode_t)out[1] & S_IFMT) != ((mode_t)mode & S_IFMT)) return fd;
  int rc = keep_mode(fd, mode, 0, out);
  if (rc < 0) close(fd);
  return rc < 0 ? rc : fd;
}

// mknodAt(dirFd, name, mode, rdev, uid, gid, out) -> O_PATH descriptor of the new node | -errno.
// `mode` carries the type; S_IFDIR makes a directory. rdev is the kernel's 32-bit encoding, the
// one FUSE passes and mknod(2) takes.
napi_value mknod_at(napi_env env, napi_callback_info info) {
  ARGS(7);
  int dir;
  char name[PATH_BYTES];
  int64_t v[4];
  double *out;
  int bad = get_ints(env, argv + 2, v, 4);
  if (!bad) bad = get_doubles(env, argv[6], &out, STAT_FIELDS);
  if (!bad) bad = get_entry(env, argv, &dir, name);
  if (bad) return refused(env, bad);
  const int64_t mode = v[0], rdev = v[1];
  caller_ids_t saved;
  int rc = become_caller(v[2], v[3], &saved);
  if (rc < 0) return number(env, rc);
  rc = (mode & S_IFMT) == S_IFDIR ? mkdirat(dir, name, (mode_t)mode & 07777) : mknodat(dir, name, (mode_t)mode, (dev_t)rdev);
  become_self(&saved);
  return number(env, rc < 0 ? -errno : made(dir, name, mode, out));
}

// symlinkAt(target, dirFd, name, uid, gid, out) -> O_PATH descriptor of the new link | -errno
napi_value symlink_at(napi_env env, napi_callback_info info) {
  ARGS(6);
  int dir;
  char target[PATH_BYTES], name[PATH_BYTES];
  int64_t id[2];
  double *out;
  int bad = get_ints(env, argv + 3, id, 2);
  if (!bad) bad = get_doubles(env, argv[5], &out, STAT_FIELDS);
  if (!bad) bad = get_entry(env, argv + 1, &dir, name);
  if (!bad) bad = get_text(env, argv[0], target);
  if (bad) return refused(env, bad);
  caller_ids_t saved;
  int rc = become_caller(id[0], id[1], &saved);
  if (rc < 0) return number(env, rc);
  rc = symlinkat(target, dir, name);
  become_self(&saved);
  return number(env, rc < 0 ? -errno : node_at(dir, name, out));
}

// linkAt(fd, dirFd, name) -> 0 | -errno: a new name for the inode `fd` holds (a symlink is
// linked itself). AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; without it (ENOENT) the inode is
// reached through /proc/self/fd/N, the magic link followed to exactly that inode.
napi_value link_at(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t fd;
  int dir;
  char name[PATH_BYTES];
  int bad = get_int(env, argv[0], &fd);
  if (!bad) bad = get_entry(env, argv + 1, &dir, name);
  if (bad) return refused(env, bad);
  if (linkat((int)fd, "", dir, name, AT_EMPTY_PATH) == 0) return number(env, 0);
  if (errno != ENOENT) return number(env, -errno);
  char path[PROC_FD_BYTES];
  proc_fd_path((int)fd, path);
  return outcome(env, linkat(AT_FDCWD, path, dir, name, AT_SYMLINK_FOLLOW));
}

// unlinkAt(dirFd, name, flags) -> 0 | -errno (flags: AT_REMOVEDIR for rmdir)
napi_value unlink_at(napi_env env, napi_callback_info info) {
  ARGS(3);
  int dir;
  char name[PATH_BYTES];
  int64_t flags;
  int bad = get_int(env, argv[2], &flags);
  if (!bad) bad = get_entry(env, argv, &dir, name);
  return bad ? refused(env, bad) : outcome(env, unlinkat(dir, name, (int)flags));
}

// renameAt(fromDir, fromName, toDir, toName, flags) -> 0 | -errno (renameat2's flags)
napi_value rename_at(napi_env env, napi_callback_info info) {
  ARGS(5);
  int from_dir, to_dir;
  char from[PATH_BYTES], to[PATH_BYTES];
  int64_t flags;
  int bad = get_int(env, argv[4], &flags);
  if (!bad) bad = get_entry(env, argv, &from_dir, from);
  if (!bad) bad = get_entry(env, argv + 2, &to_dir, to);
  return bad ? refused(env, bad) : outcome(env, renameat2(from_dir, from, to_dir, to, (unsigned)flags));
}
