// Reads the addon answers from bytes of open files that a backend holds in memory, or in a local
// file (ResidentData in JavaScript): a read that does not follow its handle's last one (a random reader's), all of
// whose bytes are held, is answered from them with one writev, without a round trip through
// JavaScript. Reads that follow each other still go to the backend: its read-ahead must see them.
#pragma once
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

typedef struct resident_reads resident_reads_t;

resident_reads_t *resident_reads_new(napi_env env);
/* Forgets every handle's bytes (and lets go of their Buffers). */
void resident_reads_free(resident_reads_t *reads);
/*
 * Answers reads of `fh` in [offset, offset + length of `buffer`) from `buffer` (kept referenced
 * until released) from now on; `file_size` is where the handle's file ends. 0, or -errno.
 */
int resident_hold(resident_reads_t *reads, uint64_t fh, uint64_t offset, napi_value buffer, uint64_t file_size);
/*
 * Answers reads of `fh` in [offset, offset + length) by reading descriptor `fd` at the same
 * offsets (a local copy of those bytes) from now on, until released; the caller keeps `fd` open
 * until then. 0, or -errno.
 */
int resident_hold_file(resident_reads_t *reads, uint64_t fh, uint64_t offset, uint64_t length, int fd, uint64_t file_size);
/* The bytes held at `offset` for `fh` are answered no more. */
void resident_release(resident_reads_t *reads, uint64_t fh, uint64_t offset);
/* None of `fh`'s bytes are answered any more. */
void resident_forget(resident_reads_t *reads, uint64_t fh);
/* Answers a request read from /dev/fuse (`dev`) when it is a READ it can: 1, else 0. */
int resident_serve(resident_reads_t *reads, int dev, const char *request, size_t length);
