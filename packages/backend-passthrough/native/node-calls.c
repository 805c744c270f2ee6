// Calls on one node: the descriptor the backend holds for it (O_PATH, opened without following
// a symlink) or an open file's descriptor. Calls that have no form taking an O_PATH descriptor
// go through /proc/self/fd/N, which reaches exactly that inode.
#define _GNU_SOURCE
#include "source-calls.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define STATFS_FIELDS 11

int node_at(int dir, const char *name, double *out) {
  int fd = open_beneath(dir, name, O_PATH | O_NOFOLLOW, 0);
  if (fd < 0) return fd;
  int rc = stat_into(fd, out);
  if (rc < 0) close(fd);
  return rc < 0 ? rc : fd;
}

// Reads (fd, then `count` integers) from argv; what get_ints answers.
static int get_fd_and(napi_env env, const napi_value *argv, int *fd, int64_t *ints, int count) {
  int64_t value;
  if (get_int(env, argv[0], &value)) return 1;
  *fd = (int)value;
  return get_ints(env, argv + 1, ints, count);
}

// The arguments (dirFd, name, out) of lookupAt and statAt; what get_name answers.
static int get_name_at(napi_env env, const napi_value *argv, int *dir, char *name, double **out) {
  int bad = get_fd_and(env, argv, dir, NULL, 0);
  if (!bad) bad = get_doubles(env, argv[2], out, STAT_FIELDS);
  if (!bad) bad = get_name(env, argv[1], name);
  return bad;
}

// lookupAt(dirFd, name, out) -> O_PATH descriptor of `name` itself | -errno; its stat in `out`
napi_value lookup_at(napi_env env, napi_callback_info info) {
  ARGS(3);
  int dir;
  char name[PATH_BYTES];
  double *out;
  int bad = get_name_at(env, argv, &dir, name, &out);
  return bad ? refused(env, bad) : number(env, node_at(dir, name, out));
}

// statAt(dirFd, name, out) -> 0 | -errno: the stat of `name` itself, without opening it
napi_value stat_at(napi_env env, napi_callback_info info) {
  ARGS(3);
  int dir;
  char name[PATH_BYTES];
  double *out;
  int bad = get_name_at(env, argv, &dir, name, &out);
  return bad ? refused(env, bad) : number(env, stat_name_into(dir, name, out));
}

// pathOf(fd) -> an O_PATH descriptor of the same inode | -errno
napi_value path_of(napi_env env, napi_callback_info info) {
  ARGS(1);
  int fd;
  if (get_fd_and(env, argv, &fd, NULL, 0)) return NULL;
  char path[PROC_FD_BYTES];
  proc_fd_path(fd, path);
  return outcome(env, open(path, O_PATH | O_CLOEXEC));
}

// statFd(fd, out) -> 0 | -errno: the descriptor's object itself (a symlink as the link)
napi_value stat_fd(napi_env env, napi_callback_info info) {
  ARGS(2);
  int fd;
  double *out;
  if (get_fd_and(env, argv, &fd, NULL, 0) || get_doubles(env, argv[1], &out, STAT_FIELDS)) return NULL;
  return number(env, stat_into(fd, out));
}

// reopen(fd, flags) -> a descriptor of the same inode opened with `flags` (FILE_OPEN_FLAGS) |
// -errno. A symlink gives ELOOP, as open(2) with O_NOFOLLOW would.
napi_value reopen(napi_env env, napi_callback_info info) {
  ARGS(2);
  int fd;
  int64_t flags;
  if (get_fd_and(env, argv, &fd, &flags, 1)) return NULL;
  char path[PROC_FD_BYTES];
  proc_fd_path(fd, path);
  return outcome(env, open(path, (int)(flags & FILE_OPEN_FLAGS) | O_CLOEXEC));
}

// readLink(fd) -> the target of the symlink `fd` holds | -errno
napi_value read_link(napi_env env, napi_callback_info info) {
  ARGS(1);
  int fd;
  if (get_fd_and(env, argv, &fd, NULL, 0)) return NULL;
  char target[PATH_BYTES];
  ssize_t length = readlinkat(fd, "", target, sizeof target);
  if (length < 0) return number(env, -errno);
  if ((size_t)length == sizeof target) return number(env, -ENAMETOOLONG);
  napi_value result;
  napi_create_string_utf8(env, target, (size_t)length, &result);
  return result;
}

// setOwner(fd, uid, gid) -> 0 | -errno; -1 leaves one as it is. A symlink itself changes.
napi_value set_owner(napi_env env, napi_callback_info info) {
  ARGS(3);
  int fd;
  int64_t id[2];
  if (get_fd_and(env, argv, &fd, id, 2)) return NULL;
  return outcome(env, fchownat(fd, "", (uid_t)id[0], (gid_t)id[1], AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
}

// setMode(fd, mode, byDescriptor) -> 0 | -errno: fchmod of an open file, else chmod of the
// node's inode (EOPNOTSUPP for a symlink, as Linux answers).
napi_value set_mode(napi_env env, napi_callback_info info) {
  ARGS(3);
  int fd, by_descriptor;
  int64_t mode;
  if (get_fd_and(env, argv, &fd, &mode, 1) || get_bool(env, argv[2], &by_descriptor)) return NULL;
  if (by_descriptor) return outcome(env, fchmod(fd, (mode_t)mode & 07777));
  char path[PROC_FD_BYTES];
  proc_fd_path(fd, path);
  return outcome(env, chmod(path, (mode_t)mode & 07777));
}

// setSize(fd, size, byDescriptor) -> 0 | -errno: ftruncate of an open file, else truncate of the
// node's inode (EISDIR, or EINVAL for anything but a regular file).
napi_value set_size(napi_env env, napi_callback_info info) {
  ARGS(3);
  int fd, by_descriptor;
  int64_t size;
  if (get_fd_and(env, argv, &fd, &size, 1) || get_bool(env, argv[2], &by_descriptor)) return NULL;
  if (by_descriptor) return outcome(env, ftruncate(fd, (off_t)size));
  char path[PROC_FD_BYTES];
  proc_fd_path(fd, path);
  return outcome(env, truncate(path, (off_t)size));
}

// A time from (sec, nsec), where nsec -1 is UTIME_OMIT and -2 UTIME_NOW.
static struct timespec time_of(int64_t sec, int64_t nsec) {
  struct timespec t = {.tv_sec = sec, .tv_nsec = nsec == -1 ? UTIME_OMIT : nsec == -2 ? UTIME_NOW : nsec};
  return t;
}

// setTimes(fd, atimeSec, atimeNsec, mtimeSec, mtimeNsec) -> 0 | -errno. A symlink itself changes.
napi_value set_times(napi_env env, napi_callback_info info) {
  ARGS(5);
  int fd;
  int64_t v[4];
  if (get_fd_and(env, argv, &fd, v, 4)) return NULL;
  struct timespec times[2] = {time_of(v[0], v[1]), time_of(v[2], v[3])};
  return outcome(env, utimensat(fd, "", times, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
}

// access(fd, mode) -> 0 | -errno, for the node's inode itself
napi_value check_access(napi_env env, napi_callback_info info) {
  ARGS(2);
  int fd;
  int64_t mode;
  if (get_fd_and(env, argv, &fd, &mode, 1)) return NULL;
  char path[PROC_FD_BYTES];
  proc_fd_path(fd, path);
  return outcome(env, access(path, (int)mode));
}

// statFilesystem(fd, out: Float64Array(11)) -> 0 | -errno: bsize, frsize, blocks, bfree, bavail,
// files, ffree, favail, fsid, flag, namemax of the filesystem holding the node
napi_value stat_filesystem(napi_env env, napi_callback_info info) {
  ARGS(2);
  int fd;
  double *out;
  if (get_fd_and(env, argv, &fd, NULL, 0) || get_doubles(env, argv[1], &out, STATFS_FIELDS)) return NULL;
  struct statvfs s;
  if (fstatvfs(fd, &s) != 0) return number(env, -errno);
  const double fields[STATFS_FIELDS] = {
      s.f_bsize, s.f_frsize, s.f_blocks, s.f_bfree, s.f_bavail, s.f_files, s.f_ffree, s.f_favail, s.f_fsid, s.f_flag, s.f_namemax,
  };
  memcpy(out, fields, sizeof fields);
  return number(env, 0);
}
