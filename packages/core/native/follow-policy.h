// Where Node's thread is to be pinned, decided from what caller-cpu.c samples: where a request's
// caller ran, and bulk transfers. No system calls here: caller-cpu.c samples and pins, and
// test/follow-policy.test.ts runs these rules on a table of cases.
#pragma once
#include <stdint.h>

// Samples in a row that found one caller, or callers on one vCPU, before pinning.
#define FOLLOW_SETTLED 4
// A decision to leave the thread where it is.
#define FOLLOW_STAY (-2)

typedef struct {
  int pinned;         // the vCPU the thread is pinned to, or -1
  uint32_t last_pid;  // the last look's caller and where it ran
  int last_cpu;
  int settled;        // looks in a row that found one caller or one vCPU
} follow_policy_t;

#define FOLLOW_POLICY_INIT {.pinned = -1, .last_cpu = -1}

// Each returns where the thread goes: a vCPU, -1 (its own affinity) or FOLLOW_STAY, and counts
// the move as made (follow_freed says when one was not).

// A READ or WRITE large enough to be bulk: its copies go faster on two vCPUs than on one.
int follow_bulk(follow_policy_t *p);
// A sampled request. `looked`: the sampler has a new answer, `pid` ran on `cpu` (-1: unknown,
// or outside the thread's affinity).
int follow_sampled(follow_policy_t *p, int looked, uint32_t pid, int cpu);
// The thread has its own affinity again (the session ended, the watchdog gave it back, or a pin
// failed): callers are looked at afresh.
void follow_freed(follow_policy_t *p);
