// The *at system calls the passthrough backend needs and Node does not offer: every path is
// resolved by the kernel beneath the source's root descriptor (openat2 RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS), and every call acts on a name in a directory descriptor without following
// a final symlink. Each function returns a negative errno instead of throwing: a failed lookup
// precedes every create, and building a JS error for it would cost more than the call.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#define PATH_BYTES 4096
#define STAT_FIELDS 15

#define ARGS(n)                                                                          \
  size_t argc = n;                                                                       \
  napi_value argv[n];                                                                    \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) \
    return bad_arguments(env);

static napi_value bad_arguments(napi_env env) {
  napi_throw_type_error(env, NULL, "source-calls: bad arguments");
  return NULL;
}

static napi_value number(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

// 0 or -errno, as the JS side expects from every call.
static napi_value outcome(napi_env env, int rc) {
  return number(env, rc < 0 ? -errno : rc);
}

static int get_int(napi_env env, napi_value value, int64_t *out) {
  return napi_get_value_int64(env, value, out) != napi_ok;
}

// A name or relative path, NUL-terminated; too long is reported as ENAMETOOLONG by the caller.
static int get_path(napi_env env, napi_value value, char *out) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, out, PATH_BYTES, &length) != napi_ok) return -EINVAL;
  return length < PATH_BYTES - 1 ? 0 : -ENAMETOOLONG;
}

// Reads the (dirFd, name) pair most calls start with, then the `count` integers after it into
// `ints`: 0, a negative errno for the name (ENAMETOOLONG), or 1 when an argument that should be a
// number is none (a TypeError is pending then).
static int get_entry(napi_env env, const napi_value *argv, int64_t *dir, char *name, int64_t *ints, int count) {
  int bad = get_int(env, argv[0], dir);
  for (int i = 0; i < count && !bad; i++) bad = get_int(env, argv[2 + i], &ints[i]);
  if (bad) {
    bad_arguments(env);
    return 1;
  }
  return get_path(env, argv[1], name);
}

// What a call answers when get_entry failed: nothing (the TypeError) or the negative errno.
static napi_value refused(napi_env env, int bad) {
  return bad > 0 ? NULL : number(env, bad);
}

// openBeneath(rootFd, path, flags, mode) -> fd | -errno
static napi_value open_beneath(napi_env env, napi_callback_info info) {
  ARGS(4);
  int64_t root, v[2];
  char path[PATH_BYTES];
  int bad = get_entry(env, argv, &root, path, v, 2);
  if (bad) return refused(env, bad);
  const int64_t flags = v[0], mode = v[1];
  // openat2 refuses bits open(2) ignores, such as the kernel's __FMODE_EXEC in an exec's open.
  const int64_t valid = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | FASYNC |
                        O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE;
  struct open_how how = {
      .flags = (uint64_t)(flags & valid) | O_CLOEXEC,
      .mode = (flags & (O_CREAT | O_TMPFILE)) ? (uint64_t)mode : 0,
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
  };
  return outcome(env, (int)syscall(SYS_openat2, (int)root, path, &how, sizeof how));
}

// statAt(dirFd, name, out: Float64Array(15)) -> 0 | -errno; "" stats dirFd itself.
static napi_value stat_at(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t dir;
  char name[PATH_BYTES];
  int bad = get_entry(env, argv, &dir, name, NULL, 0);
  if (bad) return refused(env, bad);
  double *out;
  size_t length;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, argv[2], &type, &length, (void **)&out, NULL, NULL) != napi_ok || type != napi_float64_array ||
      length < STAT_FIELDS)
    return bad_arguments(env);
  struct stat s;
  if (fstatat((int)dir, name, &s, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH)) != 0) return number(env, -errno);
  double fields[STAT_FIELDS] = {
      s.st_ino, s.st_mode, s.st_nlink, s.st_uid, s.st_gid, s.st_rdev, s.st_size, s.st_blksize, s.st_blocks,
      s.st_atim.tv_sec, s.st_atim.tv_nsec, s.st_mtim.tv_sec, s.st_mtim.tv_nsec, s.st_ctim.tv_sec, s.st_ctim.tv_nsec,
  };
  memcpy(out, fields, sizeof fields);
  return number(env, 0);
}

// unlinkAt(dirFd, name, flags) -> 0 | -errno (flags: AT_REMOVEDIR for rmdir)
static napi_value unlink_at(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t dir, flags;
  char name[PATH_BYTES];
  int bad = get_entry(env, argv, &dir, name, &flags, 1);
  return bad ? refused(env, bad) : outcome(env, unlinkat((int)dir, name, (int)flags));
}

// mknodAt(dirFd, name, mode, rdev) -> 0 | -errno; also makes directories (S_IFDIR). rdev is the
// kernel's 32-bit encoding, the one FUSE passes and mknod(2) takes.
static napi_value mknod_at(napi_env env, napi_callback_info info) {
  ARGS(4);
  int64_t dir, v[2];
  char name[PATH_BYTES];
  int bad = get_entry(env, argv, &dir, name, v, 2);
  if (bad) return refused(env, bad);
  const int64_t mode = v[0], rdev = v[1];
  if ((mode & S_IFMT) == S_IFDIR) return outcome(env, mkdirat((int)dir, name, (mode_t)mode & 07777));
  return outcome(env, mknodat((int)dir, name, (mode_t)mode, (dev_t)rdev));
}

// renameAt(fromDir, fromName, toDir, toName, flags) -> 0 | -errno (renameat2 flags)
static napi_value rename_at(napi_env env, napi_callback_info info) {
  ARGS(5);
  int64_t from_dir, to_dir, flags;
  char from[PATH_BYTES], to[PATH_BYTES];
  int bad = get_entry(env, argv, &from_dir, from, NULL, 0);
  if (!bad) bad = get_entry(env, argv + 2, &to_dir, to, &flags, 1);
  return bad ? refused(env, bad) : outcome(env, renameat2((int)from_dir, from, (int)to_dir, to, (unsigned)flags));
}

// linkAt(fromDir, fromName, toDir, toName) -> 0 | -errno (a symlink is linked, not followed)
static napi_value link_at(napi_env env, napi_callback_info info) {
  ARGS(4);
  int64_t from_dir, to_dir;
  char from[PATH_BYTES], to[PATH_BYTES];
  int bad = get_entry(env, argv, &from_dir, from, NULL, 0);
  if (!bad) bad = get_entry(env, argv + 2, &to_dir, to, NULL, 0);
  return bad ? refused(env, bad) : outcome(env, linkat((int)from_dir, from, (int)to_dir, to, 0));
}

// symlinkAt(target, dirFd, name) -> 0 | -errno
static napi_value symlink_at(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t dir;
  char target[PATH_BYTES], name[PATH_BYTES];
  int bad = get_entry(env, argv + 1, &dir, name, NULL, 0);
  if (!bad) bad = get_path(env, argv[0], target);
  return bad ? refused(env, bad) : outcome(env, symlinkat(target, (int)dir, name));
}

// readlinkAt(dirFd, name) -> string | -errno
static napi_value readlink_at(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t dir;
  char name[PATH_BYTES], target[PATH_BYTES];
  int bad = get_entry(env, argv, &dir, name, NULL, 0);
  if (bad) return refused(env, bad);
  ssize_t length = readlinkat((int)dir, name, target, sizeof target);
  if (length < 0) return number(env, -errno);
  if ((size_t)length == sizeof target) return number(env, -ENAMETOOLONG);
  napi_value result;
  napi_create_string_utf8(env, target, (size_t)length, &result);
  return result;
}

// chownAt(dirFd, name, uid, gid) -> 0 | -errno; -1 leaves one unchanged. A symlink itself changes.
static napi_value chown_at(napi_env env, napi_callback_info info) {
  ARGS(4);
  int64_t dir, id[2];
  char name[PATH_BYTES];
  int bad = get_entry(env, argv, &dir, name, id, 2);
  return bad ? refused(env, bad) : outcome(env, fchownat((int)dir, name, (uid_t)id[0], (gid_t)id[1], AT_SYMLINK_NOFOLLOW));
}

// utimensAt(dirFd, name, atimeSec, atimeNsec, mtimeSec, mtimeNsec) -> 0 | -errno;
// a nanosecond value of -1 keeps that time (UTIME_OMIT). A symlink itself changes.
static napi_value utimens_at(napi_env env, napi_callback_info info) {
  ARGS(6);
  int64_t dir, v[4];
  char name[PATH_BYTES];
  int bad = get_entry(env, argv, &dir, name, v, 4);
  if (bad) return refused(env, bad);
  struct timespec times[2] = {
      {.tv_sec = v[0], .tv_nsec = v[1] < 0 ? UTIME_OMIT : v[1]},
      {.tv_sec = v[2], .tv_nsec = v[3] < 0 ? UTIME_OMIT : v[3]},
  };
  return outcome(env, utimensat((int)dir, name, times, AT_SYMLINK_NOFOLLOW));
}

// readDirectory(dirFd) -> [names: string[], inos: Float64Array, types: Uint8Array] | -errno
// Lists the directory that dirFd (an O_PATH descriptor) holds, with getdents64's inode numbers
// and DT_* types: what `ls` and `find` need, without a stat per entry.
static napi_value read_directory(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t dir;
  if (get_int(env, argv[0], &dir)) return bad_arguments(env);
  int fd = openat((int)dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return number(env, -errno);
  size_t count = 0, capacity = 64;
  double *inos = malloc(capacity * sizeof *inos);
  uint8_t *types = malloc(capacity);
  napi_value names;
  napi_create_array(env, &names);
  char buffer[32768];
  long read = 0;
  int failed = inos == NULL || types == NULL ? ENOMEM : 0;
  while (!failed && (read = syscall(SYS_getdents64, fd, buffer, sizeof buffer)) > 0) {
    for (long at = 0; at < read && !failed;) {
      struct dirent64 *entry = (struct dirent64 *)(buffer + at);
      at += entry->d_reclen;
      const char *name = entry->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      if (count == capacity) {
        capacity *= 2;
        double *more_inos = realloc(inos, capacity * sizeof *inos);
        uint8_t *more_types = realloc(types, capacity);
        if (more_inos) inos = more_inos;
        if (more_types) types = more_types;
        if (!more_inos || !more_types) failed = ENOMEM;
        if (failed) break;
      }
      napi_value value;
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &value);
      napi_set_element(env, names, (uint32_t)count, value);
      inos[count] = (double)entry->d_ino;
      types[count] = entry->d_type;
      count++;
    }
  }
  if (read < 0) failed = errno;
  close(fd);
  napi_value result = NULL;
  if (failed) {
    result = number(env, -failed);
  } else {
    napi_value ino_buffer, ino_array, type_buffer, type_array;
    void *ino_data, *type_data;
    napi_create_arraybuffer(env, count * sizeof *inos, &ino_data, &ino_buffer);
    napi_create_arraybuffer(env, count, &type_data, &type_buffer);
    if (count > 0) {
      memcpy(ino_data, inos, count * sizeof *inos);
      memcpy(type_data, types, count);
    }
    napi_create_typedarray(env, napi_float64_array, count, ino_buffer, 0, &ino_array);
    napi_create_typedarray(env, napi_uint8_array, count, type_buffer, 0, &type_array);
    napi_create_array_with_length(env, 3, &result);
    napi_set_element(env, result, 0, names);
    napi_set_element(env, result, 1, ino_array);
    napi_set_element(env, result, 2, type_array);
  }
  free(inos);
  free(types);
  return result;
}

// Extended attributes of `name` in dirFd, through /proc/self/fd/<dirFd>/<name> with the l*xattr
// calls: the directory's link is followed (to the directory itself), the final name never is.
// Returns what get_entry does.
static int entry_path(napi_env env, const napi_value *argv, char *out) {
  int64_t dir;
  char name[PATH_BYTES];
  int bad = get_entry(env, argv, &dir, name, NULL, 0);
  if (bad) return bad;
  int length = snprintf(out, PATH_BYTES, "/proc/self/fd/%lld/%s", (long long)dir, name);
  return length < PATH_BYTES ? 0 : -ENAMETOOLONG;
}

// getxattrAt(dirFd, name, attribute) -> Buffer | -errno
// listxattrAt(dirFd, name) -> Buffer of NUL-terminated names | -errno
static napi_value read_xattr(napi_env env, napi_value *argv, int list) {
  char path[PATH_BYTES], attribute[PATH_BYTES] = "";
  int bad = entry_path(env, argv, path);
  if (!bad && !list) bad = get_path(env, argv[2], attribute);
  if (bad) return refused(env, bad);
  // The value can grow between asking its size and reading it: ask again then.
  for (int attempt = 0; attempt < 8; attempt++) {
    ssize_t size = list ? llistxattr(path, NULL, 0) : lgetxattr(path, attribute, NULL, 0);
    if (size < 0) return number(env, -errno);
    napi_value result;
    void *data;
    if (napi_create_buffer(env, size > 0 ? (size_t)size : 0, &data, &result) != napi_ok) return NULL;
    if (size == 0) return result;
    ssize_t got = list ? llistxattr(path, data, (size_t)size) : lgetxattr(path, attribute, data, (size_t)size);
    if (got >= 0) {
      if (got == size) return result;
      napi_value sliced;
      void *sliced_data;
      if (napi_create_buffer_copy(env, (size_t)got, data, &sliced_data, &sliced) != napi_ok) return NULL;
      return sliced;
    }
    if (errno != ERANGE) return number(env, -errno);
  }
  return number(env, -ERANGE);
}

static napi_value getxattr_at(napi_env env, napi_callback_info info) {
  ARGS(3);
  return read_xattr(env, argv, 0);
}

static napi_value listxattr_at(napi_env env, napi_callback_info info) {
  ARGS(2);
  return read_xattr(env, argv, 1);
}

// setxattrAt(dirFd, name, attribute, value: Buffer, flags) -> 0 | -errno (XATTR_CREATE/REPLACE: atomic)
static napi_value setxattr_at(napi_env env, napi_callback_info info) {
  ARGS(5);
  char path[PATH_BYTES], attribute[PATH_BYTES];
  void *value;
  size_t size;
  int64_t flags;
  if (napi_get_buffer_info(env, argv[3], &value, &size) != napi_ok || get_int(env, argv[4], &flags)) return bad_arguments(env);
  int bad = entry_path(env, argv, path);
  if (!bad) bad = get_path(env, argv[2], attribute);
  return bad ? refused(env, bad) : outcome(env, lsetxattr(path, attribute, value, size, (int)flags));
}

// removexattrAt(dirFd, name, attribute) -> 0 | -errno
static napi_value removexattr_at(napi_env env, napi_callback_info info) {
  ARGS(3);
  char path[PATH_BYTES], attribute[PATH_BYTES];
  int bad = entry_path(env, argv, path);
  if (!bad) bad = get_path(env, argv[2], attribute);
  return bad ? refused(env, bad) : outcome(env, lremovexattr(path, attribute));
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openBeneath", NULL, open_beneath, NULL, NULL, NULL, napi_default_method, NULL},
      {"statAt", NULL, stat_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"unlinkAt", NULL, unlink_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"mknodAt", NULL, mknod_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"renameAt", NULL, rename_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"linkAt", NULL, link_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"symlinkAt", NULL, symlink_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"readlinkAt", NULL, readlink_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"chownAt", NULL, chown_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"utimensAt", NULL, utimens_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"readDirectory", NULL, read_directory, NULL, NULL, NULL, napi_default_method, NULL},
      {"getxattrAt", NULL, getxattr_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"listxattrAt", NULL, listxattr_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"setxattrAt", NULL, setxattr_at, NULL, NULL, NULL, napi_default_method, NULL},
      {"removexattrAt", NULL, removexattr_at, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(source_calls, init)
