// Where Node's thread is to be pinned (follow-policy.h).
#include "follow-policy.h"

static int move(follow_policy_t *p, int cpu) {
  if (cpu == p->pinned) return FOLLOW_STAY;
  p->pinned = cpu;
  return cpu;
}

// Callers are looked at afresh.
static void forget_caller(follow_policy_t *p) {
  p->settled = 0;
  p->caller_cpu = -1;
  p->trial = TRIAL_NONE;
}

int follow_bulk(follow_policy_t *p) {
  forget_caller(p);
  return move(p, -1);
}

static void begin_window(follow_policy_t *p, follow_trial_t trial, uint64_t now_ns, uint64_t requests) {
  p->trial = trial;
  p->window_ns = now_ns;
  p->window_requests = requests;
}

// While requests sleep (a cold disk), whether the thread is better pinned with its caller or
// left where the kernel wakes it depends on the machine: pinned on the caller's vCPU, each sleep
// ends in a wake-up sent from the vCPU the disk interrupts; on a kernel that packs tasks onto busy
// vCPUs, the thread and the caller left free gather on that vCPU by themselves (Intel VM,
// 2026-12-06: cold `rm -rf` 1.14-1.35 s free against 1.34-1.68 s pinned, bindfs 1.07-1.18),
// while elsewhere a caller on an idle vCPU is woken there again (AMD VM, 2026-12-06: pinning
// the thread where the disk wakes it cost cold `find` and `rm -rf` 10-27% more CPU than
// following the caller). So the two are timed in turn, FOLLOW_WINDOW requests each, and the
// faster kept for a while before the next trial (longer while trials agree: each costs a window
// of the slower one).
// Where the trial's current window keeps the thread: free in the free window and in a hold free
// won, else with the caller.
static int trial_place(const follow_policy_t *p) {
  return p->trial == TRIAL_FREE || (p->trial == TRIAL_HOLD && p->free_won) ? -1 : p->caller_cpu;
}

static int sleepy_trial(follow_policy_t *p, uint64_t now_ns, uint64_t requests) {
  if (p->trial == TRIAL_NONE) {
    p->sampled_ns = now_ns;
    begin_window(p, TRIAL_PINNED, now_ns, requests);
    return move(p, p->caller_cpu);
  }
  if (now_ns - p->sampled_ns > FOLLOW_GAP_NS) begin_window(p, p->trial, now_ns, requests);
  p->sampled_ns = now_ns;
  uint64_t count = requests - p->window_requests;
  if (count < (p->trial == TRIAL_HOLD ? (uint64_t)FOLLOW_WINDOW * p->hold : FOLLOW_WINDOW))
    return move(p, trial_place(p));
  double pace = (double)(now_ns - p->window_ns) / (double)count;
  if (!p->slept) {
    // No sampled request slept for a while: callers are followed again.
    p->trial = TRIAL_NONE;
    return move(p, p->caller_cpu);
  }
  switch (p->trial) {
  case TRIAL_PINNED:
    p->pinned_pace = pace;
    begin_window(p, TRIAL_FREE, now_ns, requests);
    return move(p, -1);
  case TRIAL_FREE: {
    // Pinned only when clearly faster (a window's requests differ from the next one's): free,
    // the kernel wakes the thread where the disk interrupts, as it does for a C server.
    int free_won = p->pinned_pace > pace * 0.9;
    p->hold = free_won != p->free_won || !p->hold ? FOLLOW_HOLD : p->hold < FOLLOW_HOLD_MOST ? p->hold * 2 : FOLLOW_HOLD_MOST;
    p->free_won = free_won;
    begin_window(p, TRIAL_HOLD, now_ns, requests);
    return move(p, trial_place(p));
  }
  default:
    begin_window(p, TRIAL_PINNED, now_ns, requests);
    return move(p, p->caller_cpu);
  }
}

int follow_sampled(follow_policy_t *p, int looked, uint32_t pid, int cpu, uint64_t now_ns, uint64_t requests) {
  if (looked && cpu >= 0) {
    int another = pid != p->last_pid;
    int one_place = !another || cpu == p->last_cpu;
    p->last_pid = pid;
    p->last_cpu = cpu;
    if (!one_place) {
      // Callers on several vCPUs: the thread goes where the kernel puts it.
      forget_caller(p);
      return move(p, -1);
    }
    if (p->settled < FOLLOW_SETTLED) {
      p->settled++;
      return FOLLOW_STAY;
    }
    // Another caller is timed afresh: which placement pays differs between workloads (the held
    // outcome of `rm -rf` made the next `find` slower: 0.87x bindfs against 1.02-1.05x).
    if (another) p->trial = TRIAL_NONE;
    p->caller_cpu = cpu; // followed there when pinned
  }
  if (p->caller_cpu < 0) return FOLLOW_STAY;
  if (p->sleepy || p->trial != TRIAL_NONE) return sleepy_trial(p, now_ns, requests);
  return move(p, p->caller_cpu);
}

void follow_replied(follow_policy_t *p, int slept) {
  p->slept = p->slept << 1 | (slept != 0);
  if (__builtin_popcount(p->slept & 0xff) >= FOLLOW_SLEEPY) p->sleepy = 1;
  if (__builtin_popcount(p->slept) <= FOLLOW_AWAKE) p->sleepy = 0;
}

void follow_freed(follow_policy_t *p) {
  p->pinned = -1;
  p->last_pid = 0;
  p->last_cpu = -1;
  forget_caller(p);
}
