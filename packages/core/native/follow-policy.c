// Where Node's thread is to be pinned (follow-policy.h).
#include "follow-policy.h"

static int move(follow_policy_t *p, int cpu) {
  if (cpu == p->pinned) return FOLLOW_STAY;
  p->pinned = cpu;
  p->for_wakes = 0;
  return cpu;
}

int follow_bulk(follow_policy_t *p) {
  p->settled = 0;
  return move(p, -1);
}

int follow_sleepy(const follow_policy_t *p) { return p->sleepy; }

// Requests that sleep are woken where what they wait for interrupts (the disk's vCPU): pinned
// there, the thread is woken without waking another (halted) vCPU, and a caller there stays
// with it (its replies are written as SCHED_IDLE). Measured, Intel VM, passthrough cold, with
// `rm` or `find` kept on the disk's vCPU or on the other by taskset: `rm -rf` 1.20-1.27 s
// against 1.64-2.15 s (bindfs 1.07-1.15 against 1.81-2.08), `find` 0.34-0.41 against
// 0.43-0.50 s. The thread is unpinned to learn where that is: where sleeping requests end.
static int follow_wakes(follow_policy_t *p) {
  p->settled = 0;
  if (p->for_wakes) {
    if (++p->for_wakes % FOLLOW_RELEARN != 0) return FOLLOW_STAY;
    p->woke_settled = 0;
    return move(p, -1);
  }
  if (p->pinned >= 0 && p->pinned == p->woke_cpu) {
    p->for_wakes = 1; // pinned for a caller, where the wake-ups came last time
    return FOLLOW_STAY;
  }
  if (p->pinned >= 0) {
    p->woke_settled = 0; // pinned for a caller elsewhere: free, to learn
    return move(p, -1);
  }
  if (p->woke_settled < FOLLOW_SETTLED) return FOLLOW_STAY;
  move(p, p->woke_cpu);
  p->for_wakes = 1;
  return p->woke_cpu;
}

int follow_sampled(follow_policy_t *p, int looked, uint32_t pid, int cpu) {
  if (follow_sleepy(p)) return follow_wakes(p);
  if (!looked || cpu < 0) return FOLLOW_STAY;
  int one_place = pid == p->last_pid || cpu == p->last_cpu;
  p->last_pid = pid;
  p->last_cpu = cpu;
  if (!one_place) {
    // Callers on several vCPUs: the thread goes where the kernel puts it.
    p->settled = 0;
    return move(p, -1);
  }
  if (p->settled < FOLLOW_SETTLED) {
    p->settled++;
    return FOLLOW_STAY;
  }
  return move(p, cpu);
}

void follow_replied(follow_policy_t *p, int slept, int cpu) {
  p->slept = p->slept << 1 | (slept != 0);
  if (__builtin_popcount(p->slept & 0xff) >= FOLLOW_SLEEPY) p->sleepy = 1;
  if (__builtin_popcount(p->slept) <= FOLLOW_AWAKE) p->sleepy = 0;
  // Pinned, the thread wakes where it is pinned: that says nothing of where wake-ups come.
  if (!slept || p->pinned >= 0) return;
  p->woke_settled = cpu == p->woke_cpu ? p->woke_settled + 1 : 1;
  p->woke_cpu = cpu;
}

void follow_freed(follow_policy_t *p) {
  p->pinned = -1;
  p->for_wakes = 0;
  p->settled = 0;
  p->last_pid = 0;
  p->last_cpu = -1;
}
