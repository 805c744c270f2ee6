// Names removed by the addon itself (DirectoryRemovals in JavaScript): an UNLINK or RMDIR of an
// ASCII name in a directory the backend offered with a descriptor is unlinkat(2) on that
// descriptor, and each name removed is written to a log JavaScript reads before it handles its
// next request (src/lowlevel/removal-log.ts). A request it does not take (no offer, a name with
// other bytes or a '/', a log without room) goes to JavaScript. Once shown a view
// (directory_removals_show), the GETATTR of an offered directory is answered here too: fstat of
// its descriptor.
#pragma once
#include <linux/fuse.h>
#include <stddef.h>
#include <stdint.h>

// The log: u32 names logged, u32 bytes used (the header included), then per name a u64 directory
// node id, a u32 name length and the name, each record padded to 8 bytes.
#define REMOVAL_LOG_HEADER 8
#define REMOVAL_RECORD_HEADER 12

typedef struct directory_removals directory_removals_t;

// `log` (`size` bytes, kept alive by the caller) receives the names removed.
directory_removals_t *directory_removals_new(char *log, size_t size);
void directory_removals_free(directory_removals_t *removals);
// UNLINK and RMDIR in `nodeid` may be answered by unlinkat on `fd` until withdrawn. 0, or -ENOMEM.
int directory_removals_offer(directory_removals_t *removals, uint64_t nodeid, int fd);
void directory_removals_withdraw(directory_removals_t *removals, uint64_t nodeid);
// For a request read from /dev/fuse: 1 when it was an UNLINK or RMDIR taken here, with the
// errno of its unlinkat in `*err` (0: removed, and logged); else 0 (JavaScript answers it).
int directory_removals_take(directory_removals_t *removals, const char *request, size_t length, int *err);

// How an offered directory's attributes are shown: its owner and group, or these (>= 0), its
// mode without the `umask` bits, valid for attr_valid(_nsec).
typedef struct {
  uint64_t attr_valid;
  uint32_t attr_valid_nsec;
  int64_t uid, gid;
  uint32_t umask;
} attribute_view_t;
void directory_removals_show(directory_removals_t *removals, const attribute_view_t *view);
// For a request read from /dev/fuse: 1 when it was a GETATTR (not of a file handle) of an offered
// directory, once a view was shown, with fstat's errno in `*err` (0: `*out` holds the reply's
// body); else 0.
int directory_removals_getattr(directory_removals_t *removals, const char *request, size_t length, struct fuse_attr_out *out, int *err);
