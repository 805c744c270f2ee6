// Where Node's thread is to be pinned, decided from what caller-cpu.c samples: where a request's
// caller ran, whether a request slept before its reply and where it woke. No system calls here:
// caller-cpu.c samples and pins, and test/follow-policy.test.ts runs these rules on a table of
// cases.
#pragma once
#include <stdint.h>

// Samples in a row that found one caller, or callers on one vCPU, before pinning.
#define FOLLOW_SETTLED 4
// Of the last 8 sampled requests, how many that slept before their reply (the thread waited, as
// for the disk) make the thread follow its wake-ups instead of its callers; of the last 32, how
// few make it follow callers again. Wider, so that a workload whose sleeps come in bursts does
// not switch back and forth (a cold `find` sleeps in about 6 requests of 10, in bursts: with 1
// of the last 8 it was still moved 15-24 times in half a second).
#define FOLLOW_SLEEPY 4
#define FOLLOW_AWAKE 2
// Pinned where its wake-ups come, the thread is unpinned after this many sampled requests to
// find out again where they come (an interrupt's vCPU may be changed).
#define FOLLOW_RELEARN 512
// A decision to leave the thread where it is.
#define FOLLOW_STAY (-2)

typedef struct {
  int pinned;         // the vCPU the thread is pinned to, or -1
  uint32_t last_pid;  // the last look's caller and where it ran
  int last_cpu;
  int settled;        // looks in a row that found one caller or one vCPU
  uint32_t slept;     // sampled requests that slept before their reply: one bit each, newest lowest
  int sleepy;         // following wake-ups (FOLLOW_SLEEPY reached, FOLLOW_AWAKE not since)
  int woke_cpu;       // where the last of them woke while the thread was not pinned
  int woke_settled;   // of them in a row woke there
  unsigned for_wakes; // pinned to woke_cpu: sampled requests since (0: not pinned for that)
} follow_policy_t;

#define FOLLOW_POLICY_INIT {.pinned = -1, .last_cpu = -1, .woke_cpu = -1}

// Each returns where the thread goes: a vCPU, -1 (its own affinity) or FOLLOW_STAY, and counts
// the move as made (follow_freed says when one was not).

// A READ or WRITE large enough to be bulk: its copies go faster on two vCPUs than on one.
int follow_bulk(follow_policy_t *p);
// A sampled request. `looked`: the sampler has a new answer, `pid` ran on `cpu` (-1: unknown,
// or outside the thread's affinity).
int follow_sampled(follow_policy_t *p, int looked, uint32_t pid, int cpu);
// Whether requests sleep now (the sampler need not look at callers meanwhile).
int follow_sleepy(const follow_policy_t *p);
// A sampled request's reply begins: whether it slept on the way, and the vCPU the thread is on.
void follow_replied(follow_policy_t *p, int slept, int cpu);
// The thread has its own affinity again (the session ended, the watchdog gave it back, or a pin
// failed): callers are looked at afresh.
void follow_freed(follow_policy_t *p);
