// When helper threads (request-helpers.c) beyond the first ones stop reading: while the first
// helper finds a request waiting at each read, answering each with CPU work only (a backlog),
// only backlog_readers(count) helpers read and the others park until it ends. No system calls
// here: test/helper-backlog.test.ts runs these rules on a table of cases.
//
// Why: several helpers reading let the one the kernel wakes often be on the caller's vCPU
// (request-helpers.h), but with a backlog every read is already answered at once, and each
// more reader only adds sleeps and wake-ups. Four fio jobs of O_DIRECT 4 KiB random reads on 2
// vCPUs: 7.0-9.2 µs of CPU per read with one helper reading under a backlog, 8.5-12 with both
// (bindfs 8.3-12.4), at the same speed; one job keeps both (28-31k reads/s, 11k with one).
// Answers that take long (a disk's reads: two in a row) end a backlog at once: the parked
// helpers' reads are the other answers in flight meanwhile.
#pragma once
#include <stdint.h>

// A read that returned within this found its request waiting; a longer one slept.
#define BACKLOG_WAIT_NS 4000
// This many reads in a row that found a request waiting, each after a short answer, start a backlog.
#define BACKLOG_AFTER 8
// This many reads in a row that slept end it (one could be a preemption of a quick one).
#define BACKLOG_ENDS_AFTER 4
// This many answers in a row that took BACKLOG_LONG_ANSWER_NS or longer end it at once (one could
// be the helper preempted: four fio jobs on 2 vCPUs kept a second helper reading 10% of the time).
#define BACKLOG_LONG_ANSWER_NS 50000
#define BACKLOG_LONG_ANSWERS 2

typedef struct {
  unsigned waited; // reads in a row that found a request waiting (up to BACKLOG_AFTER)
  unsigned slept;  // reads in a row that slept (up to BACKLOG_ENDS_AFTER)
  unsigned long_answers; // in a row (up to BACKLOG_LONG_ANSWERS)
  int on;
} backlog_t;

#define BACKLOG_INIT {0, 0, 0, 0}

enum { BACKLOG_SAME, BACKLOG_STARTS, BACKLOG_ENDS };

// After a read of the first helper: how long its previous answer took (from its request read to
// this read's start) and how long this read took. What changed.
int backlog_note(backlog_t *backlog, uint64_t answer_ns, uint64_t read_ns);
// Of `count` helpers, how many read during a backlog: the first half (at least one), so that the
// callers whose requests form it have the other CPUs.
unsigned backlog_readers(unsigned count);
