// Where Node's thread is to be pinned, decided from what caller-cpu.c samples: where a request's
// caller ran, whether a request slept before its reply, how fast sampled requests come, and bulk
// transfers. No system calls here: caller-cpu.c samples and pins, and test/follow-policy.test.ts
// runs these rules on a table of cases.
#pragma once
#include <stdint.h>

// Samples in a row that found one caller, or callers on one vCPU, before pinning.
#define FOLLOW_SETTLED 4
// Of the last 8 sampled requests, how many that slept before their reply (the thread waited, as
// for the disk) make requests sleepy; of the last 32, how few make them awake again.
#define FOLLOW_SLEEPY 4
#define FOLLOW_AWAKE 2
// A trial's window, in requests read (any kind), and the windows a trial's outcome holds before
// the next: doubled, up to FOLLOW_HOLD_MOST, each time a trial agrees with the last.
#define FOLLOW_WINDOW 512
#define FOLLOW_HOLD 8
#define FOLLOW_HOLD_MOST 64
// A gap this long between sampled requests (the caller did something else) starts the trial's
// window again.
#define FOLLOW_GAP_NS 50000000u
// A decision to leave the thread where it is.
#define FOLLOW_STAY (-2)

typedef enum { TRIAL_NONE, TRIAL_PINNED, TRIAL_FREE, TRIAL_HOLD } follow_trial_t;

typedef struct {
  int pinned;         // the vCPU the thread is pinned to, or -1
  uint32_t last_pid;  // the last look's caller and where it ran
  int last_cpu;
  int settled;        // looks in a row that found one caller or one vCPU
  uint32_t slept;     // sampled requests that slept before their reply: one bit each, newest lowest
  int sleepy;         // FOLLOW_SLEEPY reached, FOLLOW_AWAKE not since
  follow_trial_t trial;  // while sleepy with a lone caller: pinned and free timed in turn
  int caller_cpu;        // where the trial's caller runs
  uint64_t sampled_ns;      // the last sampled request
  uint64_t window_ns;       // when the trial's current window began,
  uint64_t window_requests; // and the requests read by then
  double pinned_pace;       // ns per request in the pinned window
  int free_won;             // the last trial's outcome: free was faster
  unsigned hold;            // windows that outcome holds
} follow_policy_t;

#define FOLLOW_POLICY_INIT {.pinned = -1, .last_cpu = -1, .caller_cpu = -1}

// Each returns where the thread goes: a vCPU, -1 (its own affinity) or FOLLOW_STAY, and counts
// the move as made (follow_freed says when one was not).

// A READ or WRITE large enough to be bulk: its copies go faster on two vCPUs than on one.
int follow_bulk(follow_policy_t *p);
// A sampled request at `now_ns` (monotonic), with `requests` read so far. `looked`: the sampler
// has a new answer, `pid` ran on `cpu` (-1: unknown, or outside the thread's affinity).
int follow_sampled(follow_policy_t *p, int looked, uint32_t pid, int cpu, uint64_t now_ns, uint64_t requests);
// A sampled request's reply begins: whether the thread slept on the way.
void follow_replied(follow_policy_t *p, int slept);
// The thread has its own affinity again (the session ended, the watchdog gave it back, or a pin
// failed): callers are looked at afresh.
void follow_freed(follow_policy_t *p);
