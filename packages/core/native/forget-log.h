// FORGET and BATCH_FORGET taken by the addon: the kernel waits for no reply, so each node's
// lookups given back are written to a log that JavaScript reads before its next request, or soon
// after (fuse-session.c, src/lowlevel/forget-log.ts), instead of one call into JavaScript per
// FORGET (an `rm -rf` sends one per file). No system calls here:
// test/forget-log.test.ts runs it on byte fixtures.
#pragma once
#include <stddef.h>
#include <stdint.h>

// The log: u32 records, u32 bytes used (the header included), then per node a u64 node id and a
// u64 count of lookups (the removal log's header, read by the same code in JavaScript).
#define FORGET_LOG_HEADER 8
#define FORGET_RECORD 16

// Starts `log` (`size` bytes) empty.
void forget_log_init(char *log, size_t size);
// For a request read from /dev/fuse: 1 when it was a FORGET or BATCH_FORGET and every node of it
// was logged; else 0, the log unchanged (another request, one too short for what it announces,
// or no room: JavaScript handles it, after reading the log).
int forget_log_take(char *log, size_t size, const char *request, size_t length);
// How many records `log` holds.
uint32_t forget_log_count(const char *log);
// Whether `log` is half full or more: JavaScript is to read it now rather than later.
int forget_log_due(const char *log, size_t size);
