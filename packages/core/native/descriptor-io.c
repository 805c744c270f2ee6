// See descriptor-io.h. A handle table keyed by the kernel's file handle (open addressing, linear
// probing, tombstones), and the two requests it answers.
#define _GNU_SOURCE
#include "descriptor-io.h"
#include <errno.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EMPTY, USED, DELETED };

typedef struct {
  uint64_t fh;
  int fd;
  int state;
} slot_t;

struct descriptor_table {
  slot_t *slots;
  size_t capacity; // a power of two
  size_t used;     // USED slots
  size_t filled;   // USED + DELETED slots: probes end at EMPTY ones
};

static size_t slot_of(uint64_t fh, size_t capacity) {
  fh ^= fh >> 33;
  fh *= 0xff51afd7ed558ccdULL;
  fh ^= fh >> 33;
  return (size_t)fh & (capacity - 1);
}

descriptor_table_t *descriptor_table_new(void) {
  descriptor_table_t *table = calloc(1, sizeof *table);
  if (!table) return NULL;
  table->capacity = 16;
  table->slots = calloc(table->capacity, sizeof *table->slots);
  if (!table->slots) {
    free(table);
    return NULL;
  }
  return table;
}

void descriptor_table_free(descriptor_table_t *table) {
  if (!table) return;
  free(table->slots);
  free(table);
}

static slot_t *find(const descriptor_table_t *table, uint64_t fh) {
  for (size_t i = slot_of(fh, table->capacity);; i = (i + 1) & (table->capacity - 1)) {
    slot_t *slot = &table->slots[i];
    if (slot->state == EMPTY) return NULL;
    if (slot->state == USED && slot->fh == fh) return slot;
  }
}

// Rebuilds the table at `capacity`, dropping tombstones.
static int rehash(descriptor_table_t *table, size_t capacity) {
  slot_t *slots = calloc(capacity, sizeof *slots);
  if (!slots) return -ENOMEM;
  for (size_t i = 0; i < table->capacity; i++) {
    const slot_t *old = &table->slots[i];
    if (old->state != USED) continue;
    size_t j = slot_of(old->fh, capacity);
    while (slots[j].state == USED) j = (j + 1) & (capacity - 1);
    slots[j] = *old;
  }
  free(table->slots);
  table->slots = slots;
  table->capacity = capacity;
  table->filled = table->used;
  return 0;
}

int descriptor_table_put(descriptor_table_t *table, uint64_t fh, int fd) {
  slot_t *slot = find(table, fh);
  if (slot) {
    slot->fd = fd;
    return 0;
  }
  // At most half full, tombstones included, so that every probe meets an EMPTY slot soon.
  if (2 * (table->filled + 1) > table->capacity) {
    size_t capacity = 2 * (table->used + 1) > table->capacity / 2 ? 2 * table->capacity : table->capacity;
    int err = rehash(table, capacity);
    if (err) return err;
  }
  size_t i = slot_of(fh, table->capacity);
  while (table->slots[i].state == USED) i = (i + 1) & (table->capacity - 1);
  if (table->slots[i].state == EMPTY) table->filled++;
  table->slots[i] = (slot_t){.fh = fh, .fd = fd, .state = USED};
  table->used++;
  return 0;
}

void descriptor_table_remove(descriptor_table_t *table, uint64_t fh) {
  slot_t *slot = find(table, fh);
  if (!slot) return;
  slot->state = DELETED;
  table->used--;
}

// The answer's header for a body of `done` bytes, or for the errno of a failed call (done < 0).
static int answered(struct fuse_out_header *out, ssize_t done) {
  out->error = done < 0 ? -errno : 0;
  out->len = (uint32_t)(sizeof *out + (done < 0 ? 0 : (size_t)done));
  return 1;
}

int descriptor_io_answer(descriptor_table_t *table, uint32_t opcode, const char *op, size_t op_len, const char *data, size_t data_len,
                         struct fuse_out_header *out, char *body, size_t capacity) {
  if (table->used == 0 || (opcode != FUSE_READ && opcode != FUSE_WRITE)) return 0;
  ssize_t done;
  if (opcode == FUSE_READ) {
    struct fuse_read_in read_in;
    if (op_len < sizeof read_in) return 0;
    memcpy(&read_in, op, sizeof read_in);
    const slot_t *slot = find(table, read_in.fh);
    if (!slot || read_in.size > capacity) return 0;
    do done = pread(slot->fd, body, read_in.size, (off_t)read_in.offset);
    while (done < 0 && errno == EINTR);
    return answered(out, done);
  }
  struct fuse_write_in write_in;
  struct fuse_write_out write_out = {0};
  if (op_len < sizeof write_in) return 0;
  memcpy(&write_in, op, sizeof write_in);
  const slot_t *slot = find(table, write_in.fh);
  if (!slot || data_len < write_in.size || capacity < sizeof write_out) return 0;
  do done = pwrite(slot->fd, data, write_in.size, (off_t)write_in.offset);
  while (done < 0 && errno == EINTR);
  if (done < 0) return answered(out, done);
  write_out.size = (uint32_t)done;
  memcpy(body, &write_out, sizeof write_out);
  return answered(out, sizeof write_out);
}

int descriptor_io_serve(descriptor_table_t *table, int dev, const char *request, size_t length, char *reply, size_t capacity) {
  const struct fuse_in_header *in = (const void *)request;
  if (length < sizeof *in) return 0;
  // Read from /dev/fuse, a write's data follows its fuse_write_in.
  const char *op = request + sizeof *in;
  size_t op_len = length - sizeof *in, data_at = sizeof(struct fuse_write_in);
  struct fuse_out_header out;
  if (!descriptor_io_answer(table, in->opcode, op, op_len, op + data_at, op_len > data_at ? op_len - data_at : 0, &out, reply + sizeof out,
                            capacity - sizeof out))
    return 0;
  out.unique = in->unique;
  memcpy(reply, &out, sizeof out);
  // ENOENT: the request was interrupted; ENODEV: unmounted. Nobody waits for the answer then.
  while (write(dev, reply, out.len) < 0 && errno == EINTR) {
  }
  return 1;
}
