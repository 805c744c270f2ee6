// The rules of listing-ends.h.
#include "listing-ends.h"
#include <linux/fuse.h>
#include <string.h>

static listing_end_t *slot_of(listing_ends_t *ends, uint64_t nodeid) { return &ends->slots[nodeid % LISTING_ENDS_SLOTS]; }

static void clear(listing_ends_t *ends, uint64_t nodeid) {
  listing_end_t *slot = slot_of(ends, nodeid);
  if (slot->nodeid != nodeid || nodeid == 0) return;
  slot->nodeid = 0;
  ends->marked--;
}

void listing_ends_mark(listing_ends_t *ends, uint64_t nodeid, uint64_t fh, uint64_t offset) {
  if (nodeid == 0) return;
  listing_end_t *slot = slot_of(ends, nodeid);
  if (slot->nodeid == 0) ends->marked++;
  *slot = (listing_end_t){.nodeid = nodeid, .fh = fh, .offset = offset};
}

// The directory a rename puts its entry into: the body's newdir (RENAME and RENAME2 alike start with it).
static uint64_t rename_target(const char *body, size_t length) {
  uint64_t newdir = 0;
  if (length >= sizeof newdir) memcpy(&newdir, body, sizeof newdir);
  return newdir;
}

static void forget_batch(listing_ends_t *ends, const char *body, size_t length) {
  struct fuse_batch_forget_in batch;
  if (length < sizeof batch) return;
  memcpy(&batch, body, sizeof batch);
  const char *one = body + sizeof batch;
  size_t fit = (length - sizeof batch) / sizeof(struct fuse_forget_one);
  for (size_t i = 0; i < batch.count && i < fit && ends->marked; i++) {
    struct fuse_forget_one forget;
    memcpy(&forget, one + i * sizeof forget, sizeof forget);
    clear(ends, forget.nodeid);
  }
}

int listing_ends_answer(listing_ends_t *ends, const char *request, size_t length) {
  struct fuse_in_header in;
  if (!ends->marked || length < sizeof in) return 0;
  memcpy(&in, request, sizeof in);
  const char *body = request + sizeof in;
  size_t body_length = length - sizeof in;
  switch (in.opcode) {
  case FUSE_READDIR:
  case FUSE_READDIRPLUS: {
    struct fuse_read_in read_in;
    listing_end_t *slot = slot_of(ends, in.nodeid);
    if (slot->nodeid != in.nodeid || body_length < sizeof read_in) return 0;
    memcpy(&read_in, body, sizeof read_in);
    int at_end = slot->fh == read_in.fh && slot->offset == read_in.offset;
    clear(ends, in.nodeid);
    return at_end;
  }
  case FUSE_CREATE:
  case FUSE_MKNOD:
  case FUSE_MKDIR:
  case FUSE_SYMLINK:
  case FUSE_LINK:
  case FUSE_FORGET:
  case FUSE_RELEASEDIR:
    clear(ends, in.nodeid);
    return 0;
  case FUSE_RENAME:
  case FUSE_RENAME2:
    clear(ends, rename_target(body, body_length));
    return 0;
  case FUSE_BATCH_FORGET:
    forget_batch(ends, body, body_length);
    return 0;
  default:
    return 0;
  }
}
