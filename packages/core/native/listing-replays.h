// The whole listing of a directory, as the kernel last read it in one READDIRPLUS from offset 0,
// kept to answer the next READDIRPLUS from offset 0 of that directory in the addon, calling no
// JavaScript and reading no directory. GNU `rm -rf` (fts) opens every directory twice: the first
// pass reads one getdents and stops before the end, so the kernel's readdir cache
// (FOPEN_CACHE_DIR) never completes, and the second asks for the same listing again. A replay
// gives every entry with node id 0, which tells the kernel "no Entry": it keeps the dentries and
// attributes the first listing gave it, and no lookup is counted. The session keeps a listing
// when a reply it fills from offset 0 takes the directory's last entry
// (src/lowlevel/directory-requests.ts). A kept listing is dropped by anything that may change
// the directory's entries through the mount (CREATE, MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR,
// RENAME out of it or into it), by its SETATTR, by its FORGET, by a READDIRPLUS from offset 0 it
// does not answer, and by age: a change made outside the mount is listed after `keep_ms` at most
// (the session's choice: half the kernel's entry and attribute timeouts, so the dentries and
// attributes the kernel keeps are still valid). One directory per slot, the newest kept.
// No system calls here: test/listing-replays.test.ts runs these rules on a table of cases.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define LISTING_REPLAYS_SLOTS 64
// The most bytes of entries kept for one directory: some 150 names (larger listings are not kept).
#define LISTING_REPLAY_MOST 32768

typedef struct {
  uint64_t nodeid;  // 0: empty
  uint64_t end;     // the listing offset after the last entry
  uint64_t kept_at; // milliseconds, the clock the caller passes
  size_t length;    // bytes of entries
  char *entries;    // LISTING_REPLAY_MOST bytes, allocated when the slot is first used
} listing_replay_t;

typedef struct {
  uint64_t keep_ms; // 0: nothing is kept
  unsigned kept;    // slots in use
  listing_replay_t slots[LISTING_REPLAYS_SLOTS];
} listing_replays_t;

// Keeps the READDIRPLUS entries `entries` (`length` bytes, as in a reply) of `nodeid`, a whole
// listing from offset 0 that ends at `end`, at `now_ms`: each entry's node id is made 0. Entries
// that do not parse, or too many bytes, are not kept.
void listing_replays_keep(listing_replays_t *replays, uint64_t nodeid, const char *entries, size_t length, uint64_t end, uint64_t now_ms);
// For a request read from /dev/fuse (`length` bytes): the kept entries to answer it with (their
// length in *entries_length; the listing's end in *end, the handle it is read through in *fh)
// when it is a READDIRPLUS from offset 0 of a directory kept less than keep_ms ago (`now_ms`
// tells the time, called only then), with room for them; else NULL, after dropping what the
// request makes stale.
const char *listing_replays_answer(listing_replays_t *replays, const char *request, size_t length, uint64_t (*now_ms)(void), size_t *entries_length,
                                   uint64_t *end, uint64_t *fh);
void listing_replays_free(listing_replays_t *replays);
