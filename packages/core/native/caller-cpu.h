// Keeps Node's thread on the vCPU its callers run on (one caller, or several on one vCPU), and
// the caller there with it.
//
// Why: on a VM whose idle vCPUs halt, a request whose caller sleeps on another vCPU than the one
// thread serving it costs two wake-ups of halted vCPUs, and the kernel keeps each where it last
// ran (measured, Intel VM: cold stat of 5,000 files 400-430 ms apart, 54-66 ms on one vCPU;
// bindfs 350-410 ms). A caller woken by the reply stays on its vCPU when the server sleeps there
// too, but the kernel wakes it on an idle vCPU whenever the one it slept on is busy, and the
// thread writing the reply is running there: so replies are written as SCHED_IDLE while pinned
// (a vCPU running only SCHED_IDLE threads counts as idle when the kernel places a woken task),
// and the caller, woken on this vCPU, runs as soon as the write is done. FUSE over io_uring's
// per-CPU queues serve on the caller's CPU with a thread per CPU; JavaScript has one.
#pragma once
#include <linux/fuse.h>
#include <stddef.h>
#include <uv.h>

// Before the first request, on Node's thread: threads inherit the affinity of the thread that
// starts them, so libuv's thread pool, started lazily by Node's thread, is started now, unpinned,
// and so are the sampler of callers and the watchdog of replies written as SCHED_IDLE.
void caller_cpu_prepare(uv_loop_t *loop);

// Called on Node's thread for each request (`length` bytes) handed to JavaScript. Now and then it
// has a thread of its own read where the request's caller last ran (/proc/<pid>/stat: never on
// Node's thread, see caller-cpu.c) and, once samples in a row found one caller or callers on one
// vCPU, pins this thread to that vCPU (within the affinity the process started with). Callers on
// several vCPUs, or a bulk read or write, unpin it.
void caller_cpu_note(const struct fuse_in_header *in, size_t length);

// Called on Node's thread for every request read: trials time requests of every kind.
void caller_cpu_read(void);

// Around the write of a reply, on Node's thread: while it is pinned (and may leave SCHED_IDLE
// again: root, or an RLIMIT_NICE that allows it), it writes as SCHED_IDLE, so that the caller is
// woken on its vCPU. A write that has not returned within STUCK_MS (preempted by a caller that
// then computes) gets the thread its policy and affinity back from a watchdog thread.
void caller_cpu_reply_begin(void);
void caller_cpu_reply_end(void);
// Instead of caller_cpu_reply_end after a reply the addon wrote itself: the thread stays
// SCHED_IDLE for the next one (two system calls less per reply in a run of `rm -rf`'s unlinks)
// until caller_cpu_run_end, called before JavaScript runs, before the thread goes back to libuv,
// and when no request came within a short wait (fuse-session.c's RUN_WAIT_MS). The watchdog
// still times each reply of the run.
void caller_cpu_reply_written(void);
void caller_cpu_run_end(void);
// Whether a run of replies is under way (this thread is SCHED_IDLE until caller_cpu_run_end).
int caller_cpu_in_run(void);

// Gives this thread back the affinity it started with (the session ended, or threads are about
// to be started).
void caller_cpu_release(void);
