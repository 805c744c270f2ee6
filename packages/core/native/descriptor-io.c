// See descriptor-io.h: the two requests it answers.
#define _GNU_SOURCE
#include "descriptor-io.h"
#include <errno.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// The answer's header for a body of `done` bytes, or for the errno of a failed call (done < 0).
static int answered(struct fuse_out_header *out, ssize_t done) {
  out->error = done < 0 ? -errno : 0;
  out->len = (uint32_t)(sizeof *out + (done < 0 ? 0 : (size_t)done));
  return 1;
}

// The descriptor behind `fh`: 1, or 0 if JavaScript serves that handle.
static int descriptor_of(handle_table_t *table, pthread_mutex_t *lock, uint64_t fh, uint64_t *fd) {
  if (lock) pthread_mutex_lock(lock);
  int found = handle_table_get(table, fh, fd);
  if (lock) pthread_mutex_unlock(lock);
  return found;
}

int descriptor_io_answer(handle_table_t *table, pthread_mutex_t *lock, uint32_t opcode, const char *op, size_t op_len, const char *data,
                         size_t data_len, struct fuse_out_header *out, char *body, size_t capacity) {
  if (opcode != FUSE_READ && opcode != FUSE_WRITE) return 0;
  ssize_t done;
  if (opcode == FUSE_READ) {
    struct fuse_read_in read_in;
    if (op_len < sizeof read_in) return 0;
    memcpy(&read_in, op, sizeof read_in);
    uint64_t fd;
    if (read_in.size > capacity || !descriptor_of(table, lock, read_in.fh, &fd)) return 0;
    do done = pread((int)fd, body, read_in.size, (off_t)read_in.offset);
    while (done < 0 && errno == EINTR);
    return answered(out, done);
  }
  struct fuse_write_in write_in;
  struct fuse_write_out write_out = {0};
  if (op_len < sizeof write_in) return 0;
  memcpy(&write_in, op, sizeof write_in);
  uint64_t fd;
  if (data_len < write_in.size || capacity < sizeof write_out || !descriptor_of(table, lock, write_in.fh, &fd)) return 0;
  do done = pwrite((int)fd, data, write_in.size, (off_t)write_in.offset);
  while (done < 0 && errno == EINTR);
  if (done < 0) return answered(out, done);
  write_out.size = (uint32_t)done;
  memcpy(body, &write_out, sizeof write_out);
  return answered(out, sizeof write_out);
}

int descriptor_io_serve(handle_table_t *table, pthread_mutex_t *lock, int dev, const char *request, size_t length, char *reply, size_t capacity) {
  const struct fuse_in_header *in = (const void *)request;
  if (length < sizeof *in) return 0;
  // Read from /dev/fuse, a write's data follows its fuse_write_in.
  const char *op = request + sizeof *in;
  size_t op_len = length - sizeof *in, data_at = sizeof(struct fuse_write_in);
  struct fuse_out_header out;
  if (!descriptor_io_answer(table, lock, in->opcode, op, op_len, op + data_at, op_len > data_at ? op_len - data_at : 0, &out, reply + sizeof out,
                            capacity - sizeof out))
    return 0;
  out.unique = in->unique;
  memcpy(reply, &out, sizeof out);
  // ENOENT: the request was interrupted; ENODEV: unmounted. Nobody waits for the answer then.
  while (write(dev, reply, out.len) < 0 && errno == EINTR) {
  }
  return 1;
}
