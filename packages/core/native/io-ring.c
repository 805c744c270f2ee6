// See io-ring.h. The SQ array maps slot i to SQE i once and for all: SQEs are filled in ring order.
#define _GNU_SOURCE
#include "io-ring.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *map(int fd, size_t size, off_t offset) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
  return p == MAP_FAILED ? NULL : p;
}

int io_ring_open(io_ring_t *ring, unsigned entries) {
  memset(ring, 0, sizeof *ring);
  ring->fd = -1;
  struct ring_params p = {.flags = RING_SETUP_SQE128};
  int fd = (int)syscall(__NR_io_uring_setup, entries, &p);
  if (fd < 0) return -errno;
  ring->fd = fd;
  ring->sq_ring_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  ring->cq_ring_size = p.cq_off.cqes + p.cq_entries * sizeof(struct ring_cqe);
  if (p.features & RING_FEAT_SINGLE_MMAP && ring->cq_ring_size > ring->sq_ring_size) ring->sq_ring_size = ring->cq_ring_size;
  ring->sq_ring = map(fd, ring->sq_ring_size, RING_OFF_SQ_RING);
  ring->cq_ring = p.features & RING_FEAT_SINGLE_MMAP ? ring->sq_ring : map(fd, ring->cq_ring_size, RING_OFF_CQ_RING);
  ring->sqes_size = p.sq_entries * sizeof(struct ring_sqe);
  ring->sqes = map(fd, ring->sqes_size, RING_OFF_SQES);
  if (!ring->sq_ring || !ring->cq_ring || !ring->sqes) {
    int err = errno;
    io_ring_close(ring);
    return -err;
  }
  char *sq = ring->sq_ring, *cq = ring->cq_ring;
  ring->sq_head = (unsigned *)(sq + p.sq_off.head);
  ring->sq_tail = (unsigned *)(sq + p.sq_off.tail);
  ring->sq_mask = *(unsigned *)(sq + p.sq_off.ring_mask);
  ring->sq_entries = p.sq_entries;
  unsigned *array = (unsigned *)(sq + p.sq_off.array);
  for (unsigned i = 0; i < p.sq_entries; i++) array[i] = i;
  ring->cq_head = (unsigned *)(cq + p.cq_off.head);
  ring->cq_tail = (unsigned *)(cq + p.cq_off.tail);
  ring->cq_mask = *(unsigned *)(cq + p.cq_off.ring_mask);
  ring->cqes = (struct ring_cqe *)(cq + p.cq_off.cqes);
  return 0;
}

void io_ring_close(io_ring_t *ring) {
  if (ring->sqes) munmap(ring->sqes, ring->sqes_size);
  if (ring->cq_ring && ring->cq_ring != ring->sq_ring) munmap(ring->cq_ring, ring->cq_ring_size);
  if (ring->sq_ring) munmap(ring->sq_ring, ring->sq_ring_size);
  if (ring->fd >= 0) close(ring->fd);
  memset(ring, 0, sizeof *ring);
  ring->fd = -1;
}

struct ring_sqe *io_ring_sqe(io_ring_t *ring) {
  unsigned tail = *ring->sq_tail;
  if (tail - __atomic_load_n(ring->sq_head, __ATOMIC_ACQUIRE) >= ring->sq_entries) return NULL;
  struct ring_sqe *sqe = &ring->sqes[tail & ring->sq_mask];
  memset(sqe, 0, sizeof *sqe);
  return sqe;
}

void io_ring_push(io_ring_t *ring) {
  __atomic_store_n(ring->sq_tail, *ring->sq_tail + 1, __ATOMIC_RELEASE);
  ring->unsubmitted++;
}

int io_ring_submit(io_ring_t *ring) {
  while (ring->unsubmitted > 0) {
    int n = (int)syscall(__NR_io_uring_enter, ring->fd, ring->unsubmitted, 0, 0, NULL, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    ring->unsubmitted -= (unsigned)n < ring->unsubmitted ? (unsigned)n : ring->unsubmitted;
    if (n == 0) return -EAGAIN;
  }
  return 0;
}

unsigned io_ring_reap(io_ring_t *ring, struct ring_cqe *out, unsigned max) {
  unsigned head = *ring->cq_head, tail = __atomic_load_n(ring->cq_tail, __ATOMIC_ACQUIRE), n = 0;
  for (; head != tail && n < max; head++, n++) out[n] = ring->cqes[head & ring->cq_mask];
  __atomic_store_n(ring->cq_head, head, __ATOMIC_RELEASE);
  return n;
}
