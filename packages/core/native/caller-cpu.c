// Keeps Node's thread on its callers' vCPU, and the callers there with it (caller-cpu.h).
#define _GNU_SOURCE
#include "caller-cpu.h"
#include "follow-policy.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// One request in SAMPLE_EVERY has its caller looked at (by the sampler thread; a /proc read costs
// ~2 µs). Looking after every answer was measured slower: the caller just woken may not stay
// where it was put.
#define SAMPLE_EVERY 8
// How long a reply may take to write while the thread is SCHED_IDLE before the watchdog gives
// it its policy and affinity back: preempted by a caller that then computes, a SCHED_IDLE thread
// pinned to that vCPU would otherwise wait up to about a second to finish its write.
#define STUCK_MS 20
// A reply written as SCHED_IDLE that took longer than this (the thread preempted behind other
// work on its vCPU, or a caller that computes before its next request) stops the next
// PAUSE_REPLIES from being written so: on a busy vCPU placement is not the cost, waiting is.
#define STRANDED_NS 5000000L
#define PAUSE_REPLIES 512

// Process-wide, as the thread is: several sessions of one process feed one follower.
static struct {
  int started;       // 1: following; -1: one vCPU (or none known), nothing to follow
  cpu_set_t allowed; // the thread's affinity before any pinning (a user's taskset is kept)
  pid_t tid;         // Node's thread
  follow_policy_t policy; // where it is pinned, and why
  unsigned requests;  // handed to JavaScript
  uint64_t read;      // all requests read (caller_cpu_read)
  unsigned seen; // the sampler's results used so far
  uint32_t to_sample; // a caller to hand the sampler after the next reply
  long switches;      // the thread's voluntary context switches at the last sampled request, or -1
} follower = {.policy = FOLLOW_POLICY_INIT, .switches = -1};

// Where a caller last ran is read by a thread of its own, never by Node's: reading
// /proc/<pid>/stat takes the caller's exec_update_lock, which execve holds while it closes the
// caller's close-on-exec files, and closing a file of this mount waits for its FLUSH. Node's
// thread reading it then would wait for the caller, and the caller for Node's thread, for ever.
// This thread may wait there instead (Node's thread answers the FLUSH meanwhile); no pid is
// handed to it while it does.
static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  uint32_t pid;   // the caller to look at (under lock)
  int busy;       // a pid handed over and not looked at yet
  uint32_t found_pid; // the last look: whose,
  int found_cpu;      // and where it ran (-1: unknown)
  unsigned done; // looks finished (published after found_*)
  pid_t tid;     // pinned with Node's thread: waking it then wakes no other (halted) vCPU
} sampler = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

// Replies written as SCHED_IDLE while pinned (caller_cpu_reply_begin).
static struct {
  int usable;         // the thread runs SCHED_OTHER or SCHED_BATCH and may switch back from SCHED_IDLE
  int policy;         // the one it goes back to
  int in_reply;       // between begin and end (read by the watchdog)
  unsigned long sent; // replies begun as SCHED_IDLE (read by the watchdog)
  int rescued;        // set by the watchdog: the thread has its policy and full affinity again
  int watching;       // the watchdog looks every STUCK_MS (until a look finds no reply since the last)
  struct timespec began; // the reply being written
  unsigned paused;       // replies left to write as the thread's own policy after a stranded one
  pthread_mutex_t lock;
  pthread_cond_t wake; // signalled when a reply begins while the watchdog does not look
} yielding = {.lock = PTHREAD_MUTEX_INITIALIZER};

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

static void *sample_callers(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "fusekit-sample");
  __atomic_store_n(&sampler.tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
  pthread_mutex_lock(&sampler.lock);
  for (;;) {
    while (!sampler.pid) pthread_cond_wait(&sampler.wake, &sampler.lock);
    uint32_t pid = sampler.pid;
    sampler.pid = 0;
    pthread_mutex_unlock(&sampler.lock);
    int cpu = last_cpu_of(pid);
    __atomic_store_n(&sampler.found_pid, pid, __ATOMIC_RELAXED);
    __atomic_store_n(&sampler.found_cpu, cpu, __ATOMIC_RELAXED);
    __atomic_add_fetch(&sampler.done, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&sampler.busy, 0, __ATOMIC_RELEASE);
    pthread_mutex_lock(&sampler.lock);
  }
  return NULL;
}

// Hands `pid` to the sampler, unless it is still busy with the last one.
static void ask_sampler(uint32_t pid) {
  if (__atomic_load_n(&sampler.busy, __ATOMIC_ACQUIRE)) return;
  __atomic_store_n(&sampler.busy, 1, __ATOMIC_RELAXED);
  pthread_mutex_lock(&sampler.lock);
  sampler.pid = pid;
  pthread_cond_signal(&sampler.wake);
  pthread_mutex_unlock(&sampler.lock);
}

// The sampler goes where Node's thread may run: pinned with it, waking it wakes no other
// (halted) vCPU. It is woken after a reply is written, not when the request comes: runnable on
// the thread's vCPU while the reply wakes the caller, it would make the kernel wake the caller
// on the other vCPU.
static void place_sampler(const cpu_set_t *set) {
  pid_t sampling = __atomic_load_n(&sampler.tid, __ATOMIC_ACQUIRE);
  if (sampling) sched_setaffinity(sampling, sizeof *set, set);
}

// The times this thread has waited for something so far, or -1.
static long voluntary_switches(void) {
  struct rusage usage;
  return getrusage(RUSAGE_THREAD, &usage) == 0 ? usage.ru_nvcsw : -1;
}

static uint64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

// Pins this thread to `cpu`, or gives it back its own affinity (-1), as the policy decided
// (FOLLOW_STAY: nothing to do).
static void pin(int cpu) {
  if (cpu == FOLLOW_STAY) return;
  cpu_set_t set = follower.allowed;
  if (cpu >= 0) {
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
  }
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    set = follower.allowed;
    sched_setaffinity(0, sizeof set, &set);
    follow_freed(&follower.policy);
  }
  place_sampler(&set);
}

// Whether this thread may go back from SCHED_IDLE to its policy: CAP_SYS_NICE, or an RLIMIT_NICE
// that allows its nice value (the kernel's rule; without either it would stay SCHED_IDLE).
static int may_leave_idle(void) {
  char line[256];
  FILE *status = fopen("/proc/self/status", "re");
  unsigned long long effective = 0;
  while (status && fgets(line, sizeof line, status))
    if (sscanf(line, "CapEff: %llx", &effective) == 1) break;
  if (status) fclose(status);
  if (effective & (1ULL << 23)) return 1; // CAP_SYS_NICE
  struct rlimit limit;
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  return errno == 0 && getrlimit(RLIMIT_NICE, &limit) == 0 && (rlim_t)(20 - nice) <= limit.rlim_cur;
}

// Gives Node's thread its policy and affinity back when a reply written as SCHED_IDLE has not
// returned within STUCK_MS. Sleeps while no such reply is written (an idle mount wakes nobody).
static void *watchdog(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "fusekit-watch");
  unsigned long seen = 0;
  pthread_mutex_lock(&yielding.lock);
  for (;;) {
    while (!__atomic_load_n(&yielding.watching, __ATOMIC_ACQUIRE)) pthread_cond_wait(&yielding.wake, &yielding.lock);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += STUCK_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&yielding.wake, &yielding.lock, &until);
    // In this order (begin counts, then marks): a reply seen in progress is counted in `sent`.
    int in_reply = __atomic_load_n(&yielding.in_reply, __ATOMIC_SEQ_CST);
    unsigned long sent = __atomic_load_n(&yielding.sent, __ATOMIC_SEQ_CST);
    if (!in_reply && sent == seen) {
      // Nothing since the last look: stop looking, unless a reply began meanwhile (it saw the
      // watchdog still looking, so it did not wake it).
      __atomic_store_n(&yielding.watching, 0, __ATOMIC_SEQ_CST);
      if (__atomic_load_n(&yielding.sent, __ATOMIC_SEQ_CST) != seen) __atomic_store_n(&yielding.watching, 1, __ATOMIC_SEQ_CST);
    }
    if (in_reply && sent == seen) {
      struct sched_param none = {0};
      sched_setscheduler(follower.tid, yielding.policy, &none);
      sched_setaffinity(follower.tid, sizeof follower.allowed, &follower.allowed);
      place_sampler(&follower.allowed);
      __atomic_store_n(&yielding.rescued, 1, __ATOMIC_RELEASE);
    }
    seen = sent;
  }
  return NULL;
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
  if (follower.started) return;
  // One vCPU (or none known): nothing to follow.
  pthread_t sampling;
  follower.started = sched_getaffinity(0, sizeof follower.allowed, &follower.allowed) == 0 && CPU_COUNT(&follower.allowed) >= 2 &&
                             pthread_create(&sampling, NULL, sample_callers, NULL) == 0 && pthread_detach(sampling) == 0
                         ? 1
                         : -1;
  if (follower.started < 0) return;
  follower.tid = (pid_t)syscall(SYS_gettid);
  yielding.policy = sched_getscheduler(0);
  pthread_condattr_t clock;
  pthread_t thread;
  yielding.usable = (yielding.policy == SCHED_OTHER || yielding.policy == SCHED_BATCH) && may_leave_idle() &&
                    pthread_condattr_init(&clock) == 0 && pthread_condattr_setclock(&clock, CLOCK_MONOTONIC) == 0 &&
                    pthread_cond_init(&yielding.wake, &clock) == 0 && pthread_create(&thread, NULL, watchdog, NULL) == 0 &&
                    pthread_detach(thread) == 0;
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
  if (follower.started <= 0 || length < sizeof *in || in->pid == 0) return;
  if (bulk(in, length)) {
    pin(follow_bulk(&follower.policy));
    return;
  }
  if (follower.requests++ % SAMPLE_EVERY != 0) return;
  // The look asked for at an earlier sample, if done (read before the next is asked for).
  unsigned done = __atomic_load_n(&sampler.done, __ATOMIC_ACQUIRE);
  uint32_t pid = __atomic_load_n(&sampler.found_pid, __ATOMIC_RELAXED);
  int cpu = __atomic_load_n(&sampler.found_cpu, __ATOMIC_RELAXED);
  int looked = done != follower.seen;
  follower.seen = done;
  if (cpu >= CPU_SETSIZE || (cpu >= 0 && !CPU_ISSET(cpu, &follower.allowed))) cpu = -1;
  follower.to_sample = in->pid; // handed over after the next reply
  follower.switches = voluntary_switches(); // compared when its reply begins
  pin(follow_sampled(&follower.policy, looked, pid, cpu, monotonic_ns(), follower.read));
}

// After a sampled request, before its reply: whether it slept on the way.
static void note_sleep(void) {
  if (follower.switches < 0) return;
  follow_replied(&follower.policy, voluntary_switches() > follower.switches);
  follower.switches = -1;
}

void caller_cpu_read(void) { follower.read++; }

void caller_cpu_reply_begin(void) {
  note_sleep();
  // A run the watchdog rescued, or one whose replies are to be written as the thread's own
  // policy from now on, ends here.
  if (__atomic_load_n(&yielding.rescued, __ATOMIC_ACQUIRE) || yielding.paused > 0) caller_cpu_run_end();
  if (follower.policy.pinned < 0 || !yielding.usable) return;
  if (yielding.paused > 0) {
    yielding.paused--;
    return;
  }
  clock_gettime(CLOCK_MONOTONIC, &yielding.began);
  struct sched_param none = {0};
  __atomic_add_fetch(&yielding.sent, 1, __ATOMIC_SEQ_CST);
  // In a run of the addon's replies the thread is SCHED_IDLE still.
  if (__atomic_load_n(&yielding.in_reply, __ATOMIC_ACQUIRE)) return;
  __atomic_store_n(&yielding.in_reply, 1, __ATOMIC_SEQ_CST);
  if (!__atomic_load_n(&yielding.watching, __ATOMIC_SEQ_CST)) {
    // The first reply after a quiet spell: the watchdog starts looking again.
    pthread_mutex_lock(&yielding.lock);
    __atomic_store_n(&yielding.watching, 1, __ATOMIC_RELEASE);
    pthread_cond_signal(&yielding.wake);
    pthread_mutex_unlock(&yielding.lock);
  }
  sched_setscheduler(0, SCHED_IDLE, &none);
}

void caller_cpu_reply_written(void) {
  if (follower.to_sample) {
    ask_sampler(follower.to_sample);
    follower.to_sample = 0;
  }
  if (!__atomic_load_n(&yielding.in_reply, __ATOMIC_ACQUIRE)) return;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if ((now.tv_sec - yielding.began.tv_sec) * 1000000000L + (now.tv_nsec - yielding.began.tv_nsec) > STRANDED_NS) yielding.paused = PAUSE_REPLIES;
}

int caller_cpu_in_run(void) { return __atomic_load_n(&yielding.in_reply, __ATOMIC_ACQUIRE); }

void caller_cpu_run_end(void) {
  if (!__atomic_load_n(&yielding.in_reply, __ATOMIC_ACQUIRE)) return;
  struct sched_param none = {0};
  sched_setscheduler(0, yielding.policy, &none);
  __atomic_store_n(&yielding.in_reply, 0, __ATOMIC_RELEASE);
  if (__atomic_exchange_n(&yielding.rescued, 0, __ATOMIC_ACQ_REL)) {
    // The watchdog found this thread stuck behind another task and gave it its affinity back.
    follow_freed(&follower.policy);
  }
}

void caller_cpu_reply_end(void) {
  caller_cpu_reply_written();
  caller_cpu_run_end();
}

void caller_cpu_release(void) {
  if (follower.policy.pinned >= 0) pin(-1);
  follow_freed(&follower.policy);
  follower.seen = __atomic_load_n(&sampler.done, __ATOMIC_ACQUIRE);
}
