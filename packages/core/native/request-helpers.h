// Threads that read FUSE requests beside Node's thread, each from its own clone of the session's
// /dev/fuse descriptor (FUSE_DEV_IOC_CLONE), blocking in read(2). What a thread can answer by
// itself (`serve`) it answers on its clone; everything else is queued for the loop's thread,
// which hands it to JavaScript and must answer it on the clone it came from (its `fd`).
//
// Why: on a VM whose idle vCPUs halt, a request costs two wake-ups across vCPUs when the caller
// and the one thread serving it sleep on different vCPUs, and the kernel wakes a caller on the
// idle vCPU. With several readers the one the kernel wakes is often on the caller's vCPU, as
// libfuse's multithreaded loop finds (one random reader: bindfs 16-18k reads/s single-threaded,
// 41-60k multithreaded, docs/benchmarks.md).
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

// One request queued for the loop's thread; `length` < 0 is -errno: the kernel ended the session.
typedef struct forwarded {
  struct forwarded *next;
  int fd;
  ssize_t length;
  char data[];
} forwarded_t;

// Answers `request` (read from `fd`), using `reply` (`capacity` bytes, the thread's own) if it
// needs room for the answer, and returns 1, or returns 0 to forward it. Called on helper
// threads, several at once: it locks what it shares with the loop's thread itself.
typedef int (*helper_serve_fn)(void *arg, int fd, const char *request, size_t length, char *reply, size_t capacity);

typedef struct request_helpers request_helpers_t;

// Answers request `unique` on `fd` with -`err` (ENOENT or ENODEV from the write: nobody waits).
void fuse_answer_error(int fd, uint64_t unique, int err);
// An answer with `length` bytes of `body` (none when `err`).
void fuse_answer(int fd, uint64_t unique, int err, const void *body, size_t length);

// Starts `count` threads reading clones of `dev` into buffers of `size` bytes (and as much for replies); `on_forwarded`
// runs on the loop's thread when requests were queued. NULL (nothing started) if a clone or a
// thread cannot be had: the caller goes on reading `dev` itself.
request_helpers_t *request_helpers_start(uv_loop_t *loop, int dev, size_t size, unsigned count, helper_serve_fn serve, void *arg,
                                         void (*on_forwarded)(void *arg));

// The requests queued so far, oldest first, for the loop's thread; free each with free().
forwarded_t *request_helpers_take(request_helpers_t *helpers);

// Stops the threads (they may be blocked in read), closes the clones, drops what is queued.
// On the loop's thread; the memory goes once libuv has closed the async handle.
void request_helpers_stop(request_helpers_t *helpers);
