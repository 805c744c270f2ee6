// See directory-removals.h.
#define _GNU_SOURCE
#include "directory-removals.h"
#include "handle-table.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct directory_removals {
  handle_table_t *directories; // node id -> descriptor
  char *log;
  size_t size;
  int showing; // GETATTR answered here, through `view`
  attribute_view_t view;
};

directory_removals_t *directory_removals_new(char *log, size_t size) {
  directory_removals_t *removals = calloc(1, sizeof *removals);
  if (!removals || size < REMOVAL_LOG_HEADER || !(removals->directories = handle_table_new())) {
    free(removals);
    return NULL;
  }
  removals->log = log;
  removals->size = size;
  uint32_t header[2] = {0, REMOVAL_LOG_HEADER};
  memcpy(log, header, sizeof header);
  return removals;
}

void directory_removals_free(directory_removals_t *removals) {
  if (!removals) return;
  handle_table_free(removals->directories);
  free(removals);
}

int directory_removals_offer(directory_removals_t *removals, uint64_t nodeid, int fd) {
  return handle_table_put(removals->directories, nodeid, (uint64_t)fd);
}

void directory_removals_withdraw(directory_removals_t *removals, uint64_t nodeid) {
  uint64_t fd;
  handle_table_remove(removals->directories, nodeid, &fd);
}

static size_t padded(size_t length) { return (length + 7) & ~(size_t)7; }

// A name the kernel could have sent for an entry: NUL-terminated, ASCII, no '/', not "." or "..".
static size_t plain_name(const char *name, size_t room) {
  size_t length = strnlen(name, room);
  if (length == 0 || length == room || memchr(name, '/', length)) return 0;
  if (name[0] == '.' && (length == 1 || (length == 2 && name[1] == '.'))) return 0;
  for (size_t i = 0; i < length; i++)
    if ((unsigned char)name[i] >= 0x80) return 0;
  return length;
}

int directory_removals_take(directory_removals_t *removals, const char *request, size_t length, int *err) {
  struct fuse_in_header in;
  if (length < sizeof in) return 0;
  memcpy(&in, request, sizeof in);
  if ((in.opcode != FUSE_UNLINK && in.opcode != FUSE_RMDIR) || handle_table_size(removals->directories) == 0) return 0;
  uint64_t fd;
  if (!handle_table_get(removals->directories, in.nodeid, &fd)) return 0;
  const char *name = request + sizeof in;
  size_t name_length = plain_name(name, length - sizeof in);
  uint32_t header[2];
  memcpy(header, removals->log, sizeof header);
  size_t record = padded(REMOVAL_RECORD_HEADER + name_length);
  if (name_length == 0 || header[1] + record > removals->size) return 0;
  *err = unlinkat((int)fd, name, in.opcode == FUSE_RMDIR ? AT_REMOVEDIR : 0) < 0 ? errno : 0;
  if (*err) return 1;
  char *at = removals->log + header[1];
  uint32_t stored = (uint32_t)name_length;
  memcpy(at, &in.nodeid, sizeof in.nodeid);
  memcpy(at + 8, &stored, sizeof stored);
  memcpy(at + REMOVAL_RECORD_HEADER, name, name_length);
  header[0]++;
  header[1] += (uint32_t)record;
  memcpy(removals->log, header, sizeof header);
  return 1;
}

void directory_removals_show(directory_removals_t *removals, const attribute_view_t *view) {
  removals->view = *view;
  removals->showing = 1;
}

// The kernel's 32-bit encoding of a device number (new_encode_dev), what fuse_attr.rdev carries.
static uint32_t kernel_dev(dev_t dev) { return (minor(dev) & 0xff) | (major(dev) << 8) | ((minor(dev) & ~0xffu) << 12); }

int directory_removals_getattr(directory_removals_t *removals, const char *request, size_t length, struct fuse_attr_out *out, int *err) {
  struct fuse_in_header in;
  struct fuse_getattr_in getattr;
  if (!removals->showing || length < sizeof in + sizeof getattr) return 0;
  memcpy(&in, request, sizeof in);
  memcpy(&getattr, request + sizeof in, sizeof getattr);
  if (in.opcode != FUSE_GETATTR || (getattr.getattr_flags & FUSE_GETATTR_FH)) return 0;
  uint64_t fd;
  if (!handle_table_get(removals->directories, in.nodeid, &fd)) return 0;
  struct stat s;
  *err = fstatat((int)fd, "", &s, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
  if (*err) return 1;
  const attribute_view_t *view = &removals->view;
  memset(out, 0, sizeof *out);
  out->attr_valid = view->attr_valid;
  out->attr_valid_nsec = view->attr_valid_nsec;
  out->attr = (struct fuse_attr){
      .ino = s.st_ino,
      .size = (uint64_t)s.st_size,
      .blocks = (uint64_t)s.st_blocks,
      .atime = (uint64_t)s.st_atim.tv_sec,
      .mtime = (uint64_t)s.st_mtim.tv_sec,
      .ctime = (uint64_t)s.st_ctim.tv_sec,
      .atimensec = (uint32_t)s.st_atim.tv_nsec,
      .mtimensec = (uint32_t)s.st_mtim.tv_nsec,
      .ctimensec = (uint32_t)s.st_ctim.tv_nsec,
      .mode = s.st_mode & ~view->umask,
      .nlink = (uint32_t)s.st_nlink,
      .uid = view->uid >= 0 ? (uint32_t)view->uid : s.st_uid,
      .gid = view->gid >= 0 ? (uint32_t)view->gid : s.st_gid,
      .rdev = kernel_dev(s.st_rdev),
      .blksize = (uint32_t)s.st_blksize,
  };
  return 1;
}
