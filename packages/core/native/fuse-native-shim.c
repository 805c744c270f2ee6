// Mends one thing fuse-native cannot: it hands libfuse 2.9 its operations without
// flag_utime_omit_ok, so libfuse's high-level API drops a setattr that sets only one time
// (touch -a, touch -m, utimensat with UTIME_OMIT) and answers success having changed nothing.
//
// Loaded with RTLD_GLOBAL before fuse-native (src/fuse-native/load.ts), this object's fuse_new
// comes first in the symbol search, so fuse-native's call lands here: the operations are copied
// with the flag set and utimens wrapped, then handed to libfuse's own fuse_new. The wrapper
// resolves UTIME_NOW to the current time, because fuse-native carries times to JavaScript in
// milliseconds, where UTIME_NOW and UTIME_OMIT look alike; UTIME_OMIT is passed through and read
// in JavaScript as "leave this time" (fuse-native/values.ts).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <node_api.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

// struct fuse_operations of libfuse 2.9 (fuse.h): 38 function pointers (utimens the 37th), then
// the flags bitfield, whose third bit is flag_utime_omit_ok, then six more pointers.
#define POINTERS_BEFORE_FLAGS 38
#define UTIMENS_INDEX 36
#define FLAG_UTIME_OMIT_OK (1u << 2)
#define OPS_SIZE_2_9 (POINTERS_BEFORE_FLAGS * sizeof(void *) + sizeof(void *) + 6 * sizeof(void *))

typedef int (*utimens_fn)(const char *, const struct timespec[2]);
typedef void *(*fuse_new_fn)(void *, void *, const void *, size_t, void *);

static utimens_fn binding_utimens;

static int utimens_now_resolved(const char *path, const struct timespec tv[2]) {
  struct timespec times[2] = {tv[0], tv[1]};
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  for (int i = 0; i < 2; i++)
    if (times[i].tv_nsec == UTIME_NOW) times[i] = now;
  return binding_utimens(path, times);
}

static fuse_new_fn libfuse_fuse_new(void) {
  static fuse_new_fn real;
  if (real) return real;
  void *lib = dlopen("libfuse.so.2", RTLD_NOW | RTLD_NOLOAD);
  if (!lib) lib = dlopen("libfuse.so.2", RTLD_NOW);
  if (!lib) return NULL;
  // The version fuse-native was built against (FUSE_USE_VERSION 29).
  real = (fuse_new_fn)dlvsym(lib, "fuse_new", "FUSE_2.6");
  return real;
}

void *fuse_new(void *channel, void *args, const void *ops, size_t ops_size, void *user_data) {
  fuse_new_fn real = libfuse_fuse_new();
  if (!real) return NULL;
  if (ops_size < OPS_SIZE_2_9 || ops_size > 4096) return real(channel, args, ops, ops_size, user_data);
  // libfuse copies the operations at once (fuse_fs_new), so a copy on the stack will do.
  unsigned char copy[4096];
  memcpy(copy, ops, ops_size);
  void **pointers = (void **)copy;
  unsigned int *flags = (unsigned int *)(copy + POINTERS_BEFORE_FLAGS * sizeof(void *));
  if (pointers[UTIMENS_INDEX] != NULL) {
    binding_utimens = (utimens_fn)pointers[UTIMENS_INDEX];
    pointers[UTIMENS_INDEX] = (void *)utimens_now_resolved;
    *flags |= FLAG_UTIME_OMIT_OK;
  }
  return real(channel, args, copy, ops_size, user_data);
}

static napi_value init(napi_env env, napi_value exports) {
  (void)env;
  return exports;
}

NAPI_MODULE(fuse_native_shim, init)
