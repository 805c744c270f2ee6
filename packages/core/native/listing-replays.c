// The rules of listing-replays.h.
#include "listing-replays.h"
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>

static listing_replay_t *slot_of(listing_replays_t *replays, uint64_t nodeid) { return &replays->slots[nodeid % LISTING_REPLAYS_SLOTS]; }

static void drop(listing_replays_t *replays, uint64_t nodeid) {
  listing_replay_t *slot = slot_of(replays, nodeid);
  if (slot->nodeid != nodeid || nodeid == 0) return;
  slot->nodeid = 0;
  replays->kept--;
}

// Makes each entry's node id 0; 0 when the bytes are not whole entries.
static int without_nodes(char *entries, size_t length) {
  size_t at = 0;
  while (at < length) {
    struct fuse_direntplus entry;
    if (length - at < FUSE_NAME_OFFSET_DIRENTPLUS) return 0;
    memcpy(&entry, entries + at, FUSE_NAME_OFFSET_DIRENTPLUS);
    size_t size = FUSE_DIRENTPLUS_SIZE(&entry);
    if (entry.dirent.namelen == 0 || size > length - at) return 0;
    memset(entries + at + offsetof(struct fuse_direntplus, entry_out.nodeid), 0, sizeof entry.entry_out.nodeid);
    at += size;
  }
  return 1;
}

void listing_replays_keep(listing_replays_t *replays, uint64_t nodeid, const char *entries, size_t length, uint64_t end, uint64_t now_ms) {
  drop(replays, nodeid);
  if (nodeid == 0 || replays->keep_ms == 0 || length == 0 || length > LISTING_REPLAY_MOST) return;
  listing_replay_t *slot = slot_of(replays, nodeid);
  if (!slot->entries && !(slot->entries = malloc(LISTING_REPLAY_MOST))) return;
  memcpy(slot->entries, entries, length);
  if (!without_nodes(slot->entries, length)) return;
  if (slot->nodeid == 0) replays->kept++;
  slot->nodeid = nodeid;
  slot->end = end;
  slot->kept_at = now_ms;
  slot->length = length;
}

// The directories a request may change the entries of: its node's, and a rename's target.
static void drop_changed(listing_replays_t *replays, const struct fuse_in_header *in, const char *body, size_t body_length) {
  switch (in->opcode) {
  case FUSE_RENAME:
  case FUSE_RENAME2: {
    uint64_t newdir = 0; // RENAME and RENAME2 both start with it
    if (body_length >= sizeof newdir) memcpy(&newdir, body, sizeof newdir);
    drop(replays, newdir);
    drop(replays, in->nodeid); // the directory the entry leaves
    return;
  }
  case FUSE_CREATE:
  case FUSE_MKNOD:
  case FUSE_MKDIR:
  case FUSE_SYMLINK:
  case FUSE_LINK:
  case FUSE_UNLINK:
  case FUSE_RMDIR:
  case FUSE_SETATTR:
  case FUSE_FORGET:
    drop(replays, in->nodeid);
    return;
  case FUSE_BATCH_FORGET: {
    struct fuse_batch_forget_in batch;
    if (body_length < sizeof batch) return;
    memcpy(&batch, body, sizeof batch);
    size_t fit = (body_length - sizeof batch) / sizeof(struct fuse_forget_one);
    for (size_t i = 0; i < batch.count && i < fit && replays->kept; i++) {
      struct fuse_forget_one forget;
      memcpy(&forget, body + sizeof batch + i * sizeof forget, sizeof forget);
      drop(replays, forget.nodeid);
    }
    return;
  }
  default:
    return;
  }
}

const char *listing_replays_answer(listing_replays_t *replays, const char *request, size_t length, uint64_t (*now_ms)(void), size_t *entries_length,
                                   uint64_t *end, uint64_t *fh) {
  struct fuse_in_header in;
  if (!replays->kept || length < sizeof in) return NULL;
  memcpy(&in, request, sizeof in);
  const char *body = request + sizeof in;
  size_t body_length = length - sizeof in;
  if (in.opcode != FUSE_READDIRPLUS) {
    drop_changed(replays, &in, body, body_length);
    return NULL;
  }
  struct fuse_read_in read_in;
  listing_replay_t *slot = slot_of(replays, in.nodeid);
  if (slot->nodeid != in.nodeid || body_length < sizeof read_in) return NULL;
  memcpy(&read_in, body, sizeof read_in);
  if (read_in.offset != 0) return NULL;
  if (now_ms() - slot->kept_at >= replays->keep_ms || read_in.size < slot->length) {
    drop(replays, in.nodeid); // JavaScript lists it, and keeps the new listing if whole
    return NULL;
  }
  // Still kept: a listing read again soon after is answered again.
  *entries_length = slot->length;
  *end = slot->end;
  *fh = read_in.fh;
  return slot->entries;
}

void listing_replays_free(listing_replays_t *replays) {
  for (unsigned i = 0; i < LISTING_REPLAYS_SLOTS; i++) {
    free(replays->slots[i].entries);
    replays->slots[i].entries = NULL;
    replays->slots[i].nodeid = 0;
  }
  replays->kept = 0;
}
