// Extended attributes of a node, through /proc/self/fd/N: the magic link is followed to exactly
// the node's inode and no further, so a symlink's own attributes are the ones reached.
#define _GNU_SOURCE
#include "source-calls.h"

#include <errno.h>
#include <sys/xattr.h>

// Reads (fd) and, unless `list`, the attribute name at argv[1]: the path in `path`.
static int get_node(napi_env env, const napi_value *argv, char *path, char *attribute, int list) {
  int64_t fd;
  if (get_int(env, argv[0], &fd)) return 1;
  proc_fd_path((int)fd, path);
  return list ? 0 : get_text(env, argv[1], attribute);
}

// getXattr(fd, attribute) -> Buffer | -errno; listXattr(fd) -> Buffer of NUL-ended names | -errno
static napi_value read_xattr(napi_env env, const napi_value *argv, int list) {
  char path[PROC_FD_BYTES], attribute[PATH_BYTES];
  int bad = get_node(env, argv, path, attribute, list);
  if (bad) return refused(env, bad);
  // The value can grow between asking its size and reading it: ask again then.
  for (int attempt = 0; attempt < 8; attempt++) {
    ssize_t size = list ? listxattr(path, NULL, 0) : getxattr(path, attribute, NULL, 0);
    if (size < 0) return number(env, -errno);
    napi_value result;
    void *data;
    if (napi_create_buffer(env, (size_t)size, &data, &result) != napi_ok) return NULL;
    if (size == 0) return result;
    ssize_t got = list ? listxattr(path, data, (size_t)size) : getxattr(path, attribute, data, (size_t)size);
    if (got == size) return result;
    if (got >= 0) {
      napi_value sliced;
      void *sliced_data;
      if (napi_create_buffer_copy(env, (size_t)got, data, &sliced_data, &sliced) != napi_ok) return NULL;
      return sliced;
    }
    if (errno != ERANGE) return number(env, -errno);
  }
  return number(env, -ERANGE);
}

napi_value get_xattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  return read_xattr(env, argv, 0);
}

napi_value list_xattr(napi_env env, napi_callback_info info) {
  ARGS(1);
  return read_xattr(env, argv, 1);
}

// setXattr(fd, attribute, value: Buffer, flags) -> 0 | -errno (XATTR_CREATE/REPLACE: atomic)
napi_value set_xattr(napi_env env, napi_callback_info info) {
  ARGS(4);
  char path[PROC_FD_BYTES], attribute[PATH_BYTES];
  void *value;
  size_t size;
  int64_t flags;
  if (napi_get_buffer_info(env, argv[2], &value, &size) != napi_ok) return bad_arguments(env);
  int bad = get_int(env, argv[3], &flags);
  if (!bad) bad = get_node(env, argv, path, attribute, 0);
  return bad ? refused(env, bad) : outcome(env, setxattr(path, attribute, value, size, (int)flags));
}

// removeXattr(fd, attribute) -> 0 | -errno
napi_value remove_xattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  char path[PROC_FD_BYTES], attribute[PATH_BYTES];
  int bad = get_node(env, argv, path, attribute, 0);
  return bad ? refused(env, bad) : outcome(env, removexattr(path, attribute));
}
