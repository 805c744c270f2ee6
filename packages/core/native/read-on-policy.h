// When Node's thread reads the next request of /dev/fuse at once instead of going back to epoll
// (fuse-session.c's on_readable). No system calls here: test/read-on-policy.test.ts runs these
// rules on a table of cases.
//
// After an answer the next request is read at once: other callers' may be queued (4 fio jobs:
// 136k IOPS reading on, 111k going back to epoll after each), and a caller that shares this
// thread's vCPU (caller-cpu.h) runs while the reply is written and has often sent its next one
// (rm -rf of the bench tree: 2,900 epoll waits for 19,000 replies, 19,700 going back after
// each). After READ_ON_EMPTY reads on in a row found nothing (a caller elsewhere: its next
// request cannot be there yet), an answer goes back to epoll, but one in READ_ON_PROBE reads on
// anyway to see whether that changed. A request not answered yet (a FORGET, an answer to come)
// leaves nobody waiting on this thread: the next is read at once. READ_ON_MOST requests in one
// wake-up, then the event loop gets its turn (timers, signals, a backend's own I/O): the
// descriptor is still readable, so epoll returns at once.
#pragma once

#define READ_ON_EMPTY 4
#define READ_ON_PROBE 32
#define READ_ON_MOST 64

typedef struct {
  unsigned empty;   // reads on after an answer that found nothing, in a row (up to READ_ON_EMPTY)
  unsigned answers; // answers since reading on stopped paying
} read_on_t;

#define READ_ON_INIT {0, 0}

// After the `count`-th request of this wake-up, answered (a reply written) or not: whether to
// read the next one now.
int read_on_next(read_on_t *policy, int answered, unsigned count);
// What the read after an answer found: a request (1) or nothing (0, EAGAIN).
void read_on_found(read_on_t *policy, int found);
