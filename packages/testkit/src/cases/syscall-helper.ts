import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import { chmod, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getSystemErrorName } from 'node:util'

/**
 * A small C program that makes single syscalls Node has no API for (utimensat with UTIME_NOW /
 * UTIME_OMIT / nanoseconds, fallocate with any mode, lseek SEEK_DATA/SEEK_HOLE, one
 * copy_file_range call, renameat2 with flags, mknod, *xattr) and prints exactly what the kernel answered:
 * `ok <value>` or `err <open|call> <errno number>`. Shell tools blur that (xfs_io prints "EOF"
 * for ENXIO, loops copy_range until it returns 0, always adds KEEP_SIZE to a punch and exits 0
 * after some failed commands; touch reports its open's error instead of utimensat's), so the
 * cases use this instead. Built with gcc (which the workspace's native addons need anyway).
 */
const helperSource = String.raw`
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
`

/**
 * Compiles the helper into a fresh private directory (mkdtemp, then mode 0755 so that every test
 * user can run it: never a predictable path in /tmp that someone else could have made first).
 * `dispose` removes it; so does the process's exit, should nobody call dispose.
 */
export async function buildSyscallHelper(): Promise<{ path: string; dispose(): void }> {
  const dir = await mkdtemp(join(tmpdir(), 'fusekit-syscall-'))
  const dispose = () => rmSync(dir, { recursive: true, force: true })
  process.once('exit', dispose)
  try {
    const source = join(dir, 'fusekit-syscall.c')
    const binary = join(dir, 'fusekit-syscall')
    await writeFile(source, helperSource)
    await new Promise<void>((resolve, reject) => {
      execFile('gcc', ['-O1', '-Wall', '-o', binary, source], (error, _stdout, stderr) => {
        if (error) reject(new Error(`cannot build the syscall helper with gcc (install gcc and libc6-dev): ${stderr || error.message}`))
        else resolve()
      })
    })
    await chmod(dir, 0o755)
    return {
      path: binary,
      dispose() {
        process.removeListener('exit', dispose)
        dispose()
      },
    }
  } catch (error) {
    dispose()
    throw error
  }
}

/** Parses the helper's answer: the value on success, else the errno code (a failed open throws). */
export function parseHelperAnswer(stdout: string, what: string): { value: string } | { errno: string } {
  const [status, first, second] = stdout.trim().split(' ')
  if (status === 'ok') return { value: first ?? '' }
  if (status === 'err' && first === 'call') return { errno: getSystemErrorName(-Number(second)) }
  if (status === 'err' && first === 'open') throw new Error(`${what}: opening the file failed with ${getSystemErrorName(-Number(second))}`)
  throw new Error(`${what}: the syscall helper answered ${JSON.stringify(stdout)}`)
}
