// Where the directory listings the kernel reads reached their end, so that the READDIR that finds
// that end (a getdents(2) loop's last call, one round trip per directory listed) is answered in
// the addon with an empty reply, calling no JavaScript. The session marks a listing when a reply
// it fills takes its last entry (src/lowlevel/directory-requests.ts). A mark lives until the
// directory's next READDIR (answered or not), until an entry is added to the directory through
// the mount (create, mknod, mkdir, symlink, link, rename into it), until its RELEASEDIR, or
// until its node is forgotten; one mark per slot, the newest kept. A READDIR nobody answers
// here goes to JavaScript, which asks the backend from that offset: marks are only a shortcut.
// No system calls here: test/listing-ends.test.ts runs these rules on a table of cases.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define LISTING_ENDS_SLOTS 64

typedef struct {
  uint64_t nodeid; // 0: empty
  uint64_t fh;     // the kernel's handle of the reading (0 when directories open without OPENDIR)
  uint64_t offset; // where the listing ended: the offset of the READDIR that finds the end
} listing_end_t;

typedef struct {
  unsigned marked; // slots in use: none, and no request is looked at
  listing_end_t slots[LISTING_ENDS_SLOTS];
} listing_ends_t;

// The listing of `nodeid` read through `fh` ends at `offset`.
void listing_ends_mark(listing_ends_t *ends, uint64_t nodeid, uint64_t fh, uint64_t offset);
// For a request read from /dev/fuse (`length` bytes): 1 when it is a READDIR or READDIRPLUS at
// the end of a marked listing, to be answered with an empty reply (its mark is gone then); else 0,
// after dropping the marks the request makes stale.
int listing_ends_answer(listing_ends_t *ends, const char *request, size_t length);
