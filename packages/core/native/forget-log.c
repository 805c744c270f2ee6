// See forget-log.h.
#include "forget-log.h"
#include <linux/fuse.h>
#include <stdint.h>
#include <string.h>

void forget_log_init(char *log, size_t size) {
  uint32_t header[2] = {0, FORGET_LOG_HEADER};
  if (size >= sizeof header) memcpy(log, header, sizeof header);
}

// Appends `count` records of 16 bytes (fuse_forget_one's layout, as the log's) if they fit.
static int append(char *log, size_t size, const char *records, uint32_t count) {
  uint32_t header[2];
  memcpy(header, log, sizeof header);
  if (header[1] > size || count > (size - header[1]) / FORGET_RECORD) return 0;
  memcpy(log + header[1], records, (size_t)count * FORGET_RECORD);
  header[0] += count;
  header[1] += count * FORGET_RECORD;
  memcpy(log, header, sizeof header);
  return 1;
}

int forget_log_take(char *log, size_t size, const char *request, size_t length) {
  struct fuse_in_header in;
  if (size < FORGET_LOG_HEADER || length < sizeof in) return 0;
  memcpy(&in, request, sizeof in);
  const char *body = request + sizeof in;
  size_t body_length = length - sizeof in;
  if (in.opcode == FUSE_FORGET) {
    struct fuse_forget_in forget;
    if (body_length < sizeof forget) return 0;
    memcpy(&forget, body, sizeof forget);
    struct fuse_forget_one one = {.nodeid = in.nodeid, .nlookup = forget.nlookup};
    return append(log, size, (const char *)&one, 1);
  }
  if (in.opcode == FUSE_BATCH_FORGET) {
    struct fuse_batch_forget_in batch;
    if (body_length < sizeof batch) return 0;
    memcpy(&batch, body, sizeof batch);
    if (batch.count > (body_length - sizeof batch) / sizeof(struct fuse_forget_one)) return 0;
    return append(log, size, body + sizeof batch, batch.count);
  }
  return 0;
}

uint32_t forget_log_count(const char *log) {
  uint32_t count;
  memcpy(&count, log, sizeof count);
  return count;
}

int forget_log_due(const char *log, size_t size) {
  uint32_t header[2];
  memcpy(header, log, sizeof header);
  return header[1] >= size / 2;
}
