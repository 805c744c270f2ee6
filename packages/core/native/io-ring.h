// A minimal io_uring of 128-byte SQEs (IORING_SETUP_SQE128, what IORING_OP_URING_CMD needs for
// its 80-byte command), on the raw syscalls and mmap: the prebuilt addon needs no liburing.
#pragma once
#include "io-uring-abi.h"
#include <stddef.h>

typedef struct {
  int fd;
  unsigned *sq_head, *sq_tail, sq_mask, sq_entries;
  unsigned *cq_head, *cq_tail, cq_mask;
  struct ring_cqe *cqes;
  struct ring_sqe *sqes;
  void *sq_ring, *cq_ring;
  size_t sq_ring_size, cq_ring_size, sqes_size;
  unsigned unsubmitted; // SQEs published since the last io_ring_submit
} io_ring_t;

/* A ring of at least `entries` SQEs; 0, or -errno (ENOSYS: no io_uring; EPERM: io_uring_disabled). */
int io_ring_open(io_ring_t *ring, unsigned entries);
void io_ring_close(io_ring_t *ring);
/* The next SQE, zeroed; published by io_ring_push. NULL when the queue is full. */
struct ring_sqe *io_ring_sqe(io_ring_t *ring);
void io_ring_push(io_ring_t *ring);
/* Hands the published SQEs to the kernel in one io_uring_enter: 0, or -errno. */
int io_ring_submit(io_ring_t *ring);
/* Copies up to `max` completions out of the ring and frees their slots; how many. */
unsigned io_ring_reap(io_ring_t *ring, struct ring_cqe *out, unsigned max);
