#define _GNU_SOURCE
#include "napi-args.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

napi_value bad_arguments(napi_env env) {
  napi_throw_type_error(env, NULL, "source-calls: bad arguments");
  return NULL;
}

napi_value number(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

napi_value outcome(napi_env env, int64_t rc) {
  return number(env, rc < 0 ? -errno : (double)rc);
}

napi_value refused(napi_env env, int bad) {
  return bad > 0 ? NULL : number(env, bad);
}

int get_int(napi_env env, napi_value value, int64_t *out) {
  if (napi_get_value_int64(env, value, out) == napi_ok) return 0;
  bad_arguments(env);
  return 1;
}

int get_bool(napi_env env, napi_value value, int *out) {
  bool flag;
  if (napi_get_value_bool(env, value, &flag) != napi_ok) {
    bad_arguments(env);
    return 1;
  }
  *out = flag;
  return 0;
}

int get_ints(napi_env env, const napi_value *argv, int64_t *out, int count) {
  for (int i = 0; i < count; i++)
    if (get_int(env, argv[i], &out[i])) return 1;
  return 0;
}

// Text of at most PATH_BYTES - 2 bytes with no NUL inside; its length in *length.
static int get_string(napi_env env, napi_value value, char *out, size_t *length) {
  if (napi_get_value_string_utf8(env, value, out, PATH_BYTES, length) != napi_ok) {
    bad_arguments(env);
    return 1;
  }
  if (*length >= PATH_BYTES - 1) return -ENAMETOOLONG;
  return strlen(out) == *length ? 0 : -EINVAL;
}

int get_name(napi_env env, napi_value value, char *out) {
  size_t length;
  int bad = get_string(env, value, out, &length);
  if (bad) return bad < 0 ? -EACCES : bad;
  int dots = out[0] == '.' && (out[1] == 0 || (out[1] == '.' && out[2] == 0));
  return length == 0 || dots || strchr(out, '/') ? -EACCES : 0;
}

int get_text(napi_env env, napi_value value, char *out) {
  size_t length;
  return get_string(env, value, out, &length);
}

int get_doubles(napi_env env, napi_value value, double **out, size_t count) {
  napi_typedarray_type type;
  size_t length;
  if (napi_get_typedarray_info(env, value, &type, &length, (void **)out, NULL, NULL) == napi_ok && type == napi_float64_array &&
      length >= count)
    return 0;
  bad_arguments(env);
  return 1;
}

void proc_fd_path(int fd, char out[PROC_FD_BYTES]) {
  snprintf(out, PROC_FD_BYTES, "/proc/self/fd/%d", fd);
}

int stat_into(int fd, double *out) {
  return stat_name_into(fd, "", out);
}

int stat_name_into(int dir, const char *name, double *out) {
  struct stat s;
  if (fstatat(dir, name, &s, (*name ? 0 : AT_EMPTY_PATH) | AT_SYMLINK_NOFOLLOW) != 0) return -errno;
  const double fields[STAT_FIELDS] = {
      s.st_ino, s.st_mode, s.st_nlink, s.st_uid, s.st_gid, s.st_rdev, s.st_size, s.st_blksize, s.st_blocks,
      s.st_atim.tv_sec, s.st_atim.tv_nsec, s.st_mtim.tv_sec, s.st_mtim.tv_nsec, s.st_ctim.tv_sec, s.st_ctim.tv_nsec,
      s.st_dev, (double)(s.st_ino >> 32), (double)(s.st_ino & 0xffffffffu),
  };
  memcpy(out, fields, sizeof fields);
  return 0;
}
