// FUSE over io_uring's UAPI (linux/fuse.h 7.42, Linux 6.14), for system headers older than that.
#pragma once
#include <linux/fuse.h>
#include <stdint.h>

#ifndef FUSE_URING_IN_OUT_HEADER_SZ
#define FUSE_URING_IN_OUT_HEADER_SZ 128
#define FUSE_URING_OP_IN_OUT_SZ 128

struct fuse_uring_ent_in_out {
  uint64_t flags;
  uint64_t commit_id; // the request's unique: named in the commit of its answer
  uint32_t payload_sz;
  uint32_t padding;
  uint64_t reserved;
};

// One ring entry's header buffer: the in/out header, the opcode's own header, and the sizes.
struct fuse_uring_req_header {
  char in_out[FUSE_URING_IN_OUT_HEADER_SZ];
  char op_in[FUSE_URING_OP_IN_OUT_SZ];
  struct fuse_uring_ent_in_out ring_ent_in_out;
};

enum fuse_uring_cmd {
  FUSE_IO_URING_CMD_INVALID = 0,
  FUSE_IO_URING_CMD_REGISTER = 1,
  FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2,
};

// In the SQE's 80-byte command area.
struct fuse_uring_cmd_req {
  uint64_t flags;
  uint64_t commit_id;
  uint16_t qid;
  uint8_t padding[6];
};
#endif
