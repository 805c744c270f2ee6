// Reading a directory: getdents64 in batches from a descriptor opened for it.
#define _GNU_SOURCE
#include "source-calls.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ENTRIES_BYTES 32768
// The fewest bytes a dirent64 takes (a one-byte name): bounds the entries of one batch.
#define MIN_DIRENT_BYTES 24

// openDirectory(fd) -> a descriptor for reading the directory node `fd` holds | -errno (ENOTDIR)
napi_value open_directory(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t fd;
  if (get_int(env, argv[0], &fd)) return NULL;
  return outcome(env, openat((int)fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

// readEntries(dirFd) -> [names: string[], inos: Float64Array, types: Uint8Array] | 0 at the end
// | -errno: the next batch of entries ("." and ".." included, as the directory has them), with
// getdents64's inode numbers and DT_* types.
napi_value read_entries(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t fd;
  if (get_int(env, argv[0], &fd)) return NULL;
  static char buffer[ENTRIES_BYTES];
  long length = syscall(SYS_getdents64, (int)fd, buffer, sizeof buffer);
  if (length <= 0) return outcome(env, length);
  double inos[ENTRIES_BYTES / MIN_DIRENT_BYTES];
  uint8_t types[ENTRIES_BYTES / MIN_DIRENT_BYTES];
  napi_value names;
  napi_create_array(env, &names);
  uint32_t count = 0;
  for (long at = 0; at < length; count++) {
    struct dirent64 *entry = (struct dirent64 *)(buffer + at);
    at += entry->d_reclen;
    napi_value name;
    napi_create_string_utf8(env, entry->d_name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, names, count, name);
    inos[count] = (double)entry->d_ino;
    types[count] = entry->d_type;
  }
  napi_value ino_buffer, ino_array, type_buffer, type_array, result;
  void *ino_data, *type_data;
  napi_create_arraybuffer(env, count * sizeof *inos, &ino_data, &ino_buffer);
  napi_create_arraybuffer(env, count, &type_data, &type_buffer);
  memcpy(ino_data, inos, count * sizeof *inos);
  memcpy(type_data, types, count);
  napi_create_typedarray(env, napi_float64_array, count, ino_buffer, 0, &ino_array);
  napi_create_typedarray(env, napi_uint8_array, count, type_buffer, 0, &type_array);
  napi_create_array_with_length(env, 3, &result);
  napi_set_element(env, result, 0, names);
  napi_set_element(env, result, 1, ino_array);
  napi_set_element(env, result, 2, type_array);
  return result;
}
