/*
 * Creates or unlinks <count> empty files f0 .. f<count-1> in <dir>, one system call after another
 * relative to the directory's descriptor, so that the client's own cost per file is a few
 * microseconds and the same on every target. Times its own loop.
 *   manyfiles create <dir> <count>   openat(O_CREAT|O_EXCL|O_WRONLY) + close each
 *   manyfiles unlink <dir> <count>   unlinkat each
 * Prints one JSON line: {"phase":"create","count":100000,"ms":1234.5}
 * Built by the bench with: gcc -O2 -o manyfiles manyfiles.c
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[1], "create") != 0 && strcmp(argv[1], "unlink") != 0)) {
    fprintf(stderr, "usage: manyfiles create|unlink <dir> <count>\n");
    return 2;
  }
  int create = strcmp(argv[1], "create") == 0;
  long count = strtol(argv[3], NULL, 10);
  int dir = open(argv[2], O_RDONLY | O_DIRECTORY);
  if (dir < 0 || count <= 0) {
    fprintf(stderr, "manyfiles: %s: %s\n", argv[2], dir < 0 ? strerror(errno) : "count must be positive");
    return 2;
  }
  char name[32];
  double started = now_ms();
  for (long i = 0; i < count; i++) {
    snprintf(name, sizeof name, "f%ld", i);
    if (create) {
      int fd = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY, 0644);
      if (fd < 0 || close(fd) != 0) {
        fprintf(stderr, "manyfiles: create %s/%s: %s\n", argv[2], name, strerror(errno));
        return 1;
      }
    } else if (unlinkat(dir, name, 0) != 0) {
      fprintf(stderr, "manyfiles: unlink %s/%s: %s\n", argv[2], name, strerror(errno));
      return 1;
    }
  }
  printf("{\"phase\":\"%s\",\"count\":%ld,\"ms\":%.3f}\n", argv[1], count, now_ms() - started);
  return 0;
}
