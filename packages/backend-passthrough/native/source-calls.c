// The system calls the passthrough backend needs and Node does not offer. Every object in the
// source is reached from a descriptor the backend holds (the source root, or a node found by a
// lookup beneath its parent's descriptor): names are single components opened with openat2
// beneath their directory, calls act on a descriptor or on a name in a directory descriptor
// without following a final symlink, and no path of the source is ever rebuilt.
#define _GNU_SOURCE
#include "source-calls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int open_beneath(int dir, const char *name, int64_t flags, int64_t mode) {
  struct open_how how = {
      .flags = (uint64_t)flags | O_CLOEXEC,
      .mode = (flags & O_CREAT) ? (uint64_t)mode : 0,
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int fd = (int)syscall(SYS_openat2, dir, name, &how, sizeof how);
  return fd < 0 ? -errno : fd;
}

// openSource(path, out) -> O_PATH descriptor of the source directory | -errno (ENOSYS: no openat2)
napi_value open_source(napi_env env, napi_callback_info info) {
  ARGS(2);
  char path[PATH_BYTES];
  double *out;
  int bad = get_doubles(env, argv[1], &out, STAT_FIELDS);
  if (!bad) bad = get_text(env, argv[0], path);
  if (bad) return refused(env, bad);
  int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return number(env, -errno);
  int probe = open_beneath(fd, ".", O_PATH, 0);
  int rc = probe < 0 ? probe : stat_into(fd, out);
  if (probe >= 0) close(probe);
  if (rc < 0) close(fd);
  return number(env, rc < 0 ? rc : fd);
}

// The most descriptors a process may ever hold (fs.nr_open), or 0 when it cannot be read.
static rlim_t descriptors_allowed(void) {
  FILE *file = fopen("/proc/sys/fs/nr_open", "re");
  unsigned long long value = 0;
  if (file) {
    if (fscanf(file, "%llu", &value) != 1) value = 0;
    fclose(file);
  }
  return (rlim_t)value;
}

// raiseFileLimit() -> the limit on open descriptors, raised as far as this process may: the
// nodes the kernel holds (one per cached dentry) keep descriptors, up to a budget taken from
// this limit. Root with CAP_SYS_RESOURCE goes up to fs.nr_open, as virtiofsd does; others to
// their hard limit.
napi_value raise_file_limit(napi_env env, napi_callback_info info) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return number(env, -errno);
  rlim_t most = descriptors_allowed();
  struct rlimit wanted = {.rlim_cur = most, .rlim_max = most};
  if (most > limit.rlim_max && setrlimit(RLIMIT_NOFILE, &wanted) == 0) return number(env, (double)most);
  wanted.rlim_cur = wanted.rlim_max = limit.rlim_max;
  if (limit.rlim_cur < limit.rlim_max && setrlimit(RLIMIT_NOFILE, &wanted) == 0) return number(env, (double)limit.rlim_max);
  return number(env, (double)limit.rlim_cur);
}

#define METHOD(name, function) {name, NULL, function, NULL, NULL, NULL, napi_default_method, NULL}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      METHOD("openSource", open_source),
      METHOD("raiseFileLimit", raise_file_limit),
      METHOD("lookupAt", lookup_at),
      METHOD("statAt", stat_at),
      METHOD("pathOf", path_of),
      METHOD("statFd", stat_fd),
      METHOD("reopen", reopen),
      METHOD("readLink", read_link),
      METHOD("setOwner", set_owner),
      METHOD("setMode", set_mode),
      METHOD("setSize", set_size),
      METHOD("setTimes", set_times),
      METHOD("access", check_access),
      METHOD("statFilesystem", stat_filesystem),
      METHOD("createAt", create_at),
      METHOD("mknodAt", mknod_at),
      METHOD("symlinkAt", symlink_at),
      METHOD("linkAt", link_at),
      METHOD("unlinkAt", unlink_at),
      METHOD("renameAt", rename_at),
      METHOD("allocate", allocate),
      METHOD("copyRange", copy_range),
      METHOD("seek", seek),
      METHOD("flush", flush),
      METHOD("openDirectory", open_directory),
      METHOD("writeEntries", write_entries),
      METHOD("readAhead", read_ahead),
      METHOD("getXattr", get_xattr),
      METHOD("listXattr", list_xattr),
      METHOD("setXattr", set_xattr),
      METHOD("removeXattr", remove_xattr),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(source_calls, init)
