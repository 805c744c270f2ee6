// See resident-reads.h. Each handle has its file's size, where its last read ended, and its held
// ranges in order of offset.
#define _GNU_SOURCE
#include "resident-reads.h"
#include "handle-table.h"
#include <errno.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

// A read within this distance of where the last one ended (or within its own size, if larger)
// may be a sequential reader's: the backend's read-ahead decides (as the S3 backend's does).
#define NEAR_BYTES (128 * 1024)
// More pieces than this for one read: the backend answers it.
#define MAX_PIECES 16

typedef struct {
  uint64_t offset;
  size_t length;
  const char *data; // NULL: the bytes are in `fd`, at the same offsets
  napi_ref buffer;
  int fd;
} range_t;

typedef struct {
  uint64_t size; // the file's
  uint64_t next; // where the last read ended
  size_t count, capacity;
  range_t *ranges; // by offset
} held_file_t;

struct resident_reads {
  napi_env env;
  handle_table_t *files; // fh -> held_file_t *
  char *scratch;         // what is read from descriptors for one answer
  size_t scratch_size;
};

resident_reads_t *resident_reads_new(napi_env env) {
  resident_reads_t *reads = calloc(1, sizeof *reads);
  if (!reads) return NULL;
  reads->env = env;
  reads->files = handle_table_new();
  if (!reads->files) {
    free(reads);
    return NULL;
  }
  return reads;
}

static void free_range(resident_reads_t *reads, const range_t *range) {
  if (range->buffer) napi_delete_reference(reads->env, range->buffer);
}

static void free_file(uint64_t value, void *arg) {
  resident_reads_t *reads = arg;
  held_file_t *file = (held_file_t *)(uintptr_t)value;
  for (size_t i = 0; i < file->count; i++) free_range(reads, &file->ranges[i]);
  free(file->ranges);
  free(file);
}

void resident_reads_free(resident_reads_t *reads) {
  if (!reads) return;
  handle_table_each(reads->files, free_file, reads);
  handle_table_free(reads->files);
  free(reads->scratch);
  free(reads);
}

static held_file_t *file_of(const resident_reads_t *reads, uint64_t fh) {
  uint64_t value;
  return handle_table_get(reads->files, fh, &value) ? (held_file_t *)(uintptr_t)value : NULL;
}

// The index of the first range ending after `at`.
static size_t first_ending_after(const held_file_t *file, uint64_t at) {
  size_t low = 0, high = file->count;
  while (low < high) {
    size_t middle = (low + high) / 2;
    if (file->ranges[middle].offset + file->ranges[middle].length <= at) low = middle + 1;
    else high = middle;
  }
  return low;
}

// The index of the range at exactly `offset`, or -1.
static ssize_t range_at(const held_file_t *file, uint64_t offset) {
  size_t low = 0, high = file->count;
  while (low < high) {
    size_t middle = (low + high) / 2;
    if (file->ranges[middle].offset < offset) low = middle + 1;
    else high = middle;
  }
  return low < file->count && file->ranges[low].offset == offset ? (ssize_t)low : -1;
}

// Puts `range` in fh's ranges (in place of one at the same offset); on failure, frees it. 0, or -errno.
static int insert_range(resident_reads_t *reads, uint64_t fh, range_t range, uint64_t file_size) {
  held_file_t *file = file_of(reads, fh);
  if (!file) {
    file = calloc(1, sizeof *file);
    if (!file || handle_table_put(reads->files, fh, (uint64_t)(uintptr_t)file)) {
      free(file);
      free_range(reads, &range);
      return -ENOMEM;
    }
    file->next = UINT64_MAX; // no read yet: the first one is nobody's sequel
  }
  file->size = file_size;
  ssize_t same = range_at(file, range.offset);
  if (same >= 0) {
    free_range(reads, &file->ranges[same]);
    file->ranges[same] = range;
    return 0;
  }
  if (file->count == file->capacity) {
    size_t capacity = file->capacity ? 2 * file->capacity : 8;
    range_t *ranges = realloc(file->ranges, capacity * sizeof *ranges);
    if (!ranges) {
      free_range(reads, &range);
      return -ENOMEM;
    }
    file->ranges = ranges;
    file->capacity = capacity;
  }
  size_t at = file->count;
  while (at > 0 && file->ranges[at - 1].offset > range.offset) at--;
  memmove(&file->ranges[at + 1], &file->ranges[at], (file->count - at) * sizeof *file->ranges);
  file->ranges[at] = range;
  file->count++;
  return 0;
}

int resident_hold(resident_reads_t *reads, uint64_t fh, uint64_t offset, napi_value buffer, uint64_t file_size) {
  void *data;
  size_t length;
  napi_ref ref;
  if (napi_get_buffer_info(reads->env, buffer, &data, &length) != napi_ok) return -EINVAL;
  if (length == 0) return 0;
  if (napi_create_reference(reads->env, buffer, 1, &ref) != napi_ok) return -ENOMEM;
  return insert_range(reads, fh, (range_t){.offset = offset, .length = length, .data = data, .buffer = ref, .fd = -1}, file_size);
}

int resident_hold_file(resident_reads_t *reads, uint64_t fh, uint64_t offset, uint64_t length, int fd, uint64_t file_size) {
  if (fd < 0) return -EINVAL;
  if (length == 0) return 0;
  return insert_range(reads, fh, (range_t){.offset = offset, .length = length, .data = NULL, .buffer = NULL, .fd = fd}, file_size);
}

void resident_release(resident_reads_t *reads, uint64_t fh, uint64_t offset) {
  held_file_t *file = file_of(reads, fh);
  if (!file) return;
  ssize_t at = range_at(file, offset);
  if (at < 0) return;
  free_range(reads, &file->ranges[at]);
  memmove(&file->ranges[at], &file->ranges[at + 1], (file->count - (size_t)at - 1) * sizeof *file->ranges);
  // A handle with nothing held is forgotten: none is left behind by bytes held after its RELEASE.
  if (--file->count == 0) resident_forget(reads, fh);
}

void resident_forget(resident_reads_t *reads, uint64_t fh) {
  uint64_t value;
  if (handle_table_remove(reads->files, fh, &value)) free_file(value, reads);
}

int resident_serve(resident_reads_t *reads, int dev, const char *request, size_t length) {
  const struct fuse_in_header *in = (const void *)request;
  struct fuse_read_in read_in;
  if (length < sizeof *in + sizeof read_in || in->opcode != FUSE_READ || handle_table_size(reads->files) == 0) return 0;
  memcpy(&read_in, request + sizeof *in, sizeof read_in);
  held_file_t *file = file_of(reads, read_in.fh);
  if (!file) return 0;
  uint64_t start = read_in.offset, end = start + read_in.size;
  uint64_t last = file->next, near = read_in.size > NEAR_BYTES ? read_in.size : NEAR_BYTES;
  if (end > file->size) end = file->size;
  if (start < end) file->next = end;
  // A read that may continue the last one: the backend's (its read-ahead keeps ahead of it).
  if (last != UINT64_MAX && (start > last ? start - last : last - start) <= near) return 0;
  struct iovec pieces[1 + MAX_PIECES];
  struct fuse_out_header out = {.len = sizeof out, .error = 0, .unique = in->unique};
  pieces[0] = (struct iovec){.iov_base = &out, .iov_len = sizeof out};
  int count = 1;
  uint64_t at = start;
  size_t scratch_used = 0;
  for (size_t i = first_ending_after(file, at); at < end; i++) {
    const range_t *range = i < file->count ? &file->ranges[i] : NULL;
    // A gap, or too many pieces: the backend's to answer.
    if (!range || range->offset > at || count > MAX_PIECES) return 0;
    uint64_t until = range->offset + range->length < end ? range->offset + range->length : end;
    size_t piece = until - at;
    if (range->data) {
      pieces[count++] = (struct iovec){.iov_base = (void *)(range->data + (at - range->offset)), .iov_len = piece};
    } else {
      // From the local copy; a short or failed read: the backend's to answer. The scratch holds
      // the whole answer: it grows (at the first such piece, before anything points into it).
      if (scratch_used == 0 && reads->scratch_size < end - start) {
        char *grown = realloc(reads->scratch, end - start);
        if (!grown) return 0;
        reads->scratch = grown;
        reads->scratch_size = end - start;
      }
      ssize_t n = pread(range->fd, reads->scratch + scratch_used, piece, (off_t)at);
      if (n != (ssize_t)piece) return 0;
      pieces[count++] = (struct iovec){.iov_base = reads->scratch + scratch_used, .iov_len = piece};
      scratch_used += piece;
    }
    at = until;
  }
  out.len += (uint32_t)(at > start ? at - start : 0);
  // ENOENT: the request was interrupted; ENODEV: unmounted. Nobody waits for the answer then.
  while (writev(dev, pieces, count) < 0 && errno == EINTR) {
  }
  return 1;
}
