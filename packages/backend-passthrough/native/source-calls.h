// The calls of the passthrough addon, one napi function each (registered in source-calls.c),
// and the few helpers several of them share.
#pragma once
#include "napi-args.h"

// open(2) flags a file may be opened or created with (openat2 refuses any other bit, such as the
// kernel's __FMODE_EXEC in an exec's open).
#define FILE_OPEN_FLAGS                                                                                                 \
  (O_ACCMODE | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | FASYNC | O_DIRECT | O_LARGEFILE | O_NOATIME | \
   O_SYNC)

// Opens `name` beneath the directory `dir` with openat2: the lookup may not leave `dir` nor
// follow any symlink, magic links included. A descriptor, or -errno.
int open_beneath(int dir, const char *name, int64_t flags, int64_t mode);
// An O_PATH descriptor of `name` in `dir` itself (a symlink as the link), its stat in `out`.
int node_at(int dir, const char *name, double *out);

// source-calls.c
napi_value open_source(napi_env env, napi_callback_info info);
napi_value raise_file_limit(napi_env env, napi_callback_info info);
// node-calls.c
napi_value lookup_at(napi_env env, napi_callback_info info);
napi_value stat_at(napi_env env, napi_callback_info info);
napi_value path_of(napi_env env, napi_callback_info info);
napi_value stat_fd(napi_env env, napi_callback_info info);
napi_value reopen(napi_env env, napi_callback_info info);
napi_value read_link(napi_env env, napi_callback_info info);
napi_value set_owner(napi_env env, napi_callback_info info);
napi_value set_mode(napi_env env, napi_callback_info info);
napi_value set_size(napi_env env, napi_callback_info info);
napi_value set_times(napi_env env, napi_callback_info info);
napi_value check_access(napi_env env, napi_callback_info info);
napi_value stat_filesystem(napi_env env, napi_callback_info info);
// name-calls.c
napi_value create_at(napi_env env, napi_callback_info info);
napi_value mknod_at(napi_env env, napi_callback_info info);
napi_value symlink_at(napi_env env, napi_callback_info info);
napi_value link_at(napi_env env, napi_callback_info info);
napi_value unlink_at(napi_env env, napi_callback_info info);
napi_value rename_at(napi_env env, napi_callback_info info);
// file-calls.c
napi_value allocate(napi_env env, napi_callback_info info);
napi_value copy_range(napi_env env, napi_callback_info info);
napi_value seek(napi_env env, napi_callback_info info);
napi_value flush(napi_env env, napi_callback_info info);
// directory-calls.c
napi_value open_directory(napi_env env, napi_callback_info info);
napi_value write_entries(napi_env env, napi_callback_info info);
napi_value read_ahead(napi_env env, napi_callback_info info);
// xattr-calls.c
napi_value get_xattr(napi_env env, napi_callback_info info);
napi_value list_xattr(napi_env env, napi_callback_info info);
napi_value set_xattr(napi_env env, napi_callback_info info);
napi_value remove_xattr(napi_env env, napi_callback_info info);
