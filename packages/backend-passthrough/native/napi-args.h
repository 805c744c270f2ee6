// Argument and result helpers shared by the passthrough addon's calls. Every call answers a
// negative errno instead of throwing for failures the source filesystem reports: a failed
// lookup precedes every create, and building a JS error for it would cost more than the call.
#pragma once
#include <node_api.h>
#include <stdint.h>

#define PATH_BYTES 4096
#define PROC_FD_BYTES 32

// The Float64Array a stat is written to: st_ino, st_mode, st_nlink, st_uid, st_gid, st_rdev,
// st_size, st_blksize, st_blocks, the three times as (sec, nsec), then st_dev and st_ino's high
// and low 32 bits (the exact identity of the source inode, which a double can round).
#define STAT_FIELDS 18

// Reads `n` arguments into argv; a missing one throws a TypeError and returns from the call.
#define ARGS(n)                                                                          \
  size_t argc = n;                                                                       \
  napi_value argv[n];                                                                    \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) \
    return bad_arguments(env);

// Throws the TypeError for arguments of the wrong kind (a bug on the JS side); returns NULL.
napi_value bad_arguments(napi_env env);
napi_value number(napi_env env, double value);
// `rc` when it is not negative, else -errno: what the JS side expects from every call.
napi_value outcome(napi_env env, int64_t rc);
// What a call answers when reading an argument failed: the TypeError (bad > 0) or the errno.
napi_value refused(napi_env env, int bad);

// Each returns 0, 1 after throwing a TypeError, or a negative errno for a value the call refuses.
int get_int(napi_env env, napi_value value, int64_t *out);
int get_bool(napi_env env, napi_value value, int *out);
// `count` integers from argv[0] on.
int get_ints(napi_env env, const napi_value *argv, int64_t *out, int count);
// One name in a directory: not empty, ".", ".." nor holding "/" or NUL (EACCES): a name never
// walks anywhere. Too long for a buffer is ENAMETOOLONG; over 255 bytes the source says so.
int get_name(napi_env env, napi_value value, char *out);
// Text passed through as it is (a symlink target, an xattr name): no NUL (EINVAL).
int get_text(napi_env env, napi_value value, char *out);
// A Float64Array of at least `count` elements.
int get_doubles(napi_env env, napi_value value, double **out, size_t count);

// "/proc/self/fd/<fd>": the object a descriptor refers to, reached by a path (a magic link,
// followed to exactly that inode and no further, even when it is a symlink).
void proc_fd_path(int fd, char out[PROC_FD_BYTES]);
// fstat of the descriptor itself (a symlink as the link) into a STAT_FIELDS array.
int stat_into(int fd, double *out);
// The stat of `name` in `dir` itself (a symlink as the link); `name` "" is `dir`.
int stat_name_into(int dir, const char *name, double *out);
