// Calls on an open file's descriptor that Node does not offer.
#define _GNU_SOURCE
#include "source-calls.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

// allocate(fd, mode, offset, length) -> 0 | -errno: fallocate(2), any mode the source takes
napi_value allocate(napi_env env, napi_callback_info info) {
  ARGS(4);
  int64_t v[4];
  if (get_ints(env, argv, v, 4)) return NULL;
  return outcome(env, fallocate((int)v[0], (int)v[1], (off_t)v[2], (off_t)v[3]));
}

// copyRange(fdIn, offsetIn, fdOut, offsetOut, length, flags) -> bytes copied | -errno
napi_value copy_range(napi_env env, napi_callback_info info) {
  ARGS(6);
  int64_t v[6];
  if (get_ints(env, argv, v, 6)) return NULL;
  off_t in = (off_t)v[1], out = (off_t)v[3];
  return outcome(env, copy_file_range((int)v[0], &in, (int)v[2], &out, (size_t)v[4], (unsigned)v[5]));
}

// seek(fd, offset, whence) -> the resulting offset | -errno (SEEK_DATA, SEEK_HOLE: ENXIO past the end)
napi_value seek(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t v[3];
  if (get_ints(env, argv, v, 3)) return NULL;
  return outcome(env, lseek((int)v[0], (off_t)v[1], (int)v[2]));
}

// flush(fd) -> 0 | -errno: what close(2) of a descriptor does to the file (a network
// filesystem writes back and reports its errors), without closing ours.
napi_value flush(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t fd;
  if (get_int(env, argv[0], &fd)) return NULL;
  int copy = dup((int)fd);
  return outcome(env, copy < 0 ? copy : close(copy));
}
