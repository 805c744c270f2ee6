// Pins Node's thread to its callers' vCPU (caller-cpu.h).
#define _GNU_SOURCE
#include "caller-cpu.h"
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// One request in SAMPLE_EVERY is looked at (a /proc read costs ~2 µs). Looking after every
// answer was measured slower: the caller just woken may not stay where it was put.
#define SAMPLE_EVERY 8
// Samples in a row that found one caller, or callers on one vCPU, before pinning.
#define SETTLED 4

// Process-wide, as the thread is: several sessions of one process feed one follower.
static struct {
  int started; // 1: following; -1: one vCPU (or none known), nothing to follow
  cpu_set_t allowed; // the thread's affinity before any pinning (a user's taskset is kept)
  int pinned;        // the vCPU this thread is pinned to, or -1
  uint32_t last_pid; // the last sample's caller and where it ran
  int last_cpu;
  int settled;       // samples in a row that found one caller or one vCPU
  unsigned requests;
} follower = {.pinned = -1, .last_cpu = -1};

// The vCPU `pid` last ran on (field 39 of /proc/<pid>/stat), or -1.
static int last_cpu_of(uint32_t pid) {
  char path[32], line[1024];
  snprintf(path, sizeof path, "/proc/%u/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, line, sizeof line - 1);
  close(fd);
  if (n <= 0) return -1;
  line[n] = 0;
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  char *at = strrchr(line, ')');
  for (int field = 2; at && field < 39; field++) at = strchr(at + 1, ' ');
  int cpu;
  return at && sscanf(at + 1, "%d", &cpu) == 1 ? cpu : -1;
}

// Pins this thread to `cpu`, or gives it back its own affinity (-1).
static void pin(int cpu) {
  cpu_set_t set = follower.allowed;
  if (cpu >= 0) {
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
  }
  if (sched_setaffinity(0, sizeof set, &set) == 0) follower.pinned = cpu;
}

// A read or write this large is bulk: its copies are better made on two vCPUs at once (the
// caller's and this thread's, while readahead and write-behind keep requests coming) than one.
#define BULK_BYTES 65536

static int bulk(const struct fuse_in_header *in, size_t length) {
  struct fuse_read_in read_in; // a fuse_write_in's size sits where a fuse_read_in's does
  if ((in->opcode != FUSE_READ && in->opcode != FUSE_WRITE) || length < sizeof *in + sizeof read_in) return 0;
  memcpy(&read_in, (const char *)in + sizeof *in, sizeof read_in);
  return read_in.size >= BULK_BYTES;
}

void caller_cpu_note(const struct fuse_in_header *in, size_t length) {
  if (length < sizeof *in || in->pid == 0) return;
  if (bulk(in, length)) {
    follower.settled = 0;
    if (follower.pinned >= 0) pin(-1);
    return;
  }
  uint32_t pid = in->pid;
  if (follower.requests++ % SAMPLE_EVERY != 0) return;
  if (!follower.started)
    follower.started = sched_getaffinity(0, sizeof follower.allowed, &follower.allowed) == 0 && CPU_COUNT(&follower.allowed) >= 2 ? 1 : -1;
  if (follower.started < 0) return;
  int cpu = last_cpu_of(pid);
  if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &follower.allowed)) return;
  int one_place = pid == follower.last_pid || cpu == follower.last_cpu;
  follower.last_pid = pid;
  follower.last_cpu = cpu;
  if (!one_place) {
    // Callers on several vCPUs: the thread goes where the kernel puts it.
    follower.settled = 0;
    if (follower.pinned >= 0) pin(-1);
  } else if (follower.settled < SETTLED) {
    follower.settled++;
  } else if (follower.pinned != cpu) {
    pin(cpu);
  }
}

static void nothing(uv_work_t *work) { (void)work; }
static void nothing_after(uv_work_t *work, int status) {
  (void)status;
  free(work);
}

void caller_cpu_prepare(uv_loop_t *loop) {
  // A thread pool that was started already is not started again: the work is a no-op then.
  uv_work_t *work = malloc(sizeof *work);
  if (work && uv_queue_work(loop, work, nothing, nothing_after) != 0) free(work);
}

void caller_cpu_release(void) {
  if (follower.pinned >= 0) pin(-1);
  follower.last_pid = 0;
  follower.last_cpu = -1;
  follower.settled = 0;
}
