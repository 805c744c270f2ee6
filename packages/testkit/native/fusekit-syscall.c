/*
 * fusekit-syscall: single syscalls for the POSIX cases of @fusekit/testkit, answered exactly:
 * `ok <value>` or `err <open|call> <errno number>`. Run as the caller (setpriv), one call per run.
 * Usage: fusekit-syscall <utimens|fallocate|seek|copy|rename|mknod|setxattr|getxattr|removexattr|listxattr> <path> [args]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static int fail(const char *stage) { printf("err %s %d\n", stage, errno); return 0; }
static long long num(const char *text) { return strtoll(text, NULL, 0); }

static void hex(const unsigned char *bytes, ssize_t length) {
  printf("ok ");
  for (ssize_t i = 0; i < length; i++) printf("%02x", bytes[i]);
  printf("\n");
}

static size_t unhex(const char *text, char *out) {
  size_t n = strlen(text) / 2;
  for (size_t i = 0; i < n; i++) sscanf(text + 2 * i, "%2hhx", (unsigned char *)&out[i]);
  return n;
}

static int timespec_of(const char *text, struct timespec *t) {
  if (strcmp(text, "now") == 0) { t->tv_sec = 0; t->tv_nsec = UTIME_NOW; return 0; }
  if (strcmp(text, "omit") == 0) { t->tv_sec = 0; t->tv_nsec = UTIME_OMIT; return 0; }
  return sscanf(text, "%ld:%ld", &t->tv_sec, &t->tv_nsec) == 2 ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *op = argv[1], *path = argv[2];
  if (strcmp(op, "utimens") == 0 && argc == 4) {
    if (utimensat(AT_FDCWD, path, NULL, 0) < 0) return fail("call");
    printf("ok 0\n");
  } else if (strcmp(op, "utimens") == 0 && argc == 5) {
    struct timespec times[2];
    if (timespec_of(argv[3], &times[0]) < 0 || timespec_of(argv[4], &times[1]) < 0) return 2;
    if (utimensat(AT_FDCWD, path, times, 0) < 0) return fail("call");
    printf("ok 0\n");
  } else if (strcmp(op, "fallocate") == 0 && argc == 6) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return fail("open");
    if (fallocate(fd, (int)num(argv[3]), num(argv[4]), num(argv[5])) < 0) return fail("call");
    printf("ok 0\n");
  } else if (strcmp(op, "seek") == 0 && argc == 5) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("open");
    off_t at = lseek(fd, num(argv[4]), strcmp(argv[3], "data") == 0 ? SEEK_DATA : SEEK_HOLE);
    if (at < 0) return fail("call");
    printf("ok %lld\n", (long long)at);
  } else if (strcmp(op, "copy") == 0 && argc == 7) {
    int same = strcmp(path, argv[4]) == 0;
    int in = open(path, same ? O_RDWR : O_RDONLY);
    if (in < 0) return fail("open");
    int out = same ? in : open(argv[4], O_WRONLY);
    if (out < 0) return fail("open");
    loff_t from = num(argv[3]), to = num(argv[5]);
    ssize_t copied = copy_file_range(in, &from, out, &to, (size_t)num(argv[6]), 0);
    if (copied < 0) return fail("call");
    printf("ok %lld\n", (long long)copied);
  } else if (strcmp(op, "rename") == 0 && argc == 5) {
    if (renameat2(AT_FDCWD, path, AT_FDCWD, argv[3], (unsigned)num(argv[4])) < 0) return fail("call");
    printf("ok 0\n");
  } else if (strcmp(op, "mknod") == 0 && argc == 6) {
    if (mknod(path, (mode_t)num(argv[3]), makedev((unsigned)num(argv[4]), (unsigned)num(argv[5]))) < 0) return fail("call");
    printf("ok 0\n");
  } else if (strcmp(op, "setxattr") == 0 && argc == 6) {
    char value[65536];
    size_t length = unhex(argv[4], value);
    int r = strcmp(argv[5], "nofollow") == 0 ? lsetxattr(path, argv[3], value, length, 0) : setxattr(path, argv[3], value, length, 0);
    if (r < 0) return fail("call");
    printf("ok 0\n");
  } else if (strcmp(op, "getxattr") == 0 && argc == 5) {
    unsigned char value[65536];
    ssize_t n = strcmp(argv[4], "nofollow") == 0 ? lgetxattr(path, argv[3], value, sizeof value) : getxattr(path, argv[3], value, sizeof value);
    if (n < 0) return fail("call");
    hex(value, n);
  } else if (strcmp(op, "removexattr") == 0 && argc == 4) {
    if (removexattr(path, argv[3]) < 0) return fail("call");
    printf("ok 0\n");
  } else if (strcmp(op, "listxattr") == 0 && argc == 3) {
    unsigned char names[65536];
    ssize_t n = llistxattr(path, (char *)names, sizeof names);
    if (n < 0) return fail("call");
    hex(names, n);
  } else {
    return 2;
  }
  return 0;
}
