// The io_uring ABI the ring uses (Linux 5.19+ for 128-byte SQEs and IORING_OP_URING_CMD), spelled
// out here so that the addon builds against kernel headers of any age: a kernel without it
// answers io_uring_setup with ENOSYS or EINVAL, and the mount reads /dev/fuse.
#pragma once
#include <stdint.h>
#include <sys/syscall.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425 // the same number on every architecture
#define __NR_io_uring_enter 426
#endif

#define RING_SETUP_SQE128 (1U << 10)
#define RING_FEAT_SINGLE_MMAP (1U << 0)
#define RING_OFF_SQ_RING 0ULL
#define RING_OFF_CQ_RING 0x8000000ULL
#define RING_OFF_SQES 0x10000000ULL
#define RING_OP_URING_CMD 46

struct ring_sq_offsets {
  uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1;
  uint64_t resv2;
};

struct ring_cq_offsets {
  uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1;
  uint64_t resv2;
};

struct ring_params {
  uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd, resv[3];
  struct ring_sq_offsets sq_off;
  struct ring_cq_offsets cq_off;
};

struct ring_cqe {
  uint64_t user_data;
  int32_t res;
  uint32_t flags;
};

// A 128-byte SQE, with the fields IORING_OP_URING_CMD reads.
struct ring_sqe {
  uint8_t opcode, flags;
  uint16_t ioprio;
  int32_t fd;
  uint32_t cmd_op, pad1;
  uint64_t addr;
  uint32_t len, cmd_flags;
  uint64_t user_data;
  uint16_t buf_index, personality;
  uint32_t file_index;
  uint8_t cmd[80]; // the command's own data
};

_Static_assert(sizeof(struct ring_params) == 120, "io_uring_params is 120 bytes");
_Static_assert(sizeof(struct ring_sqe) == 128, "an SQE128 is 128 bytes");
