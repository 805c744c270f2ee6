// Reads and writes the addon answers itself, from a real descriptor the backend holds for the
// handle (Operations.backingFd), without a round trip through JavaScript.
// The table maps each such handle to its descriptor (handle_table_put(table, fh, fd)).
#pragma once
#include "handle-table.h"
#include <linux/fuse.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Answers a READ or WRITE for a handle in the table from its parts: the opcode's header `op`, and
 * a write's data. The body goes to `body` (`capacity` bytes, which may be `data` itself), its
 * header's len and error to `out`. 1 if answered, 0 if the request is JavaScript's to serve.
 * `lock` (or NULL) is held while the table is looked at, not during the I/O: a handle's RELEASE,
 * after which its descriptor is closed, comes only once its reads and writes were answered.
 */
int descriptor_io_answer(handle_table_t *table, pthread_mutex_t *lock, uint32_t opcode, const char *op, size_t op_len, const char *data, size_t data_len,
                         struct fuse_out_header *out, char *body, size_t capacity);

/*
 * The same for a request as read from /dev/fuse (`dev`), answered there, using `reply`
 * (`capacity` bytes) for the answer.
 */
int descriptor_io_serve(handle_table_t *table, pthread_mutex_t *lock, int dev, const char *request, size_t length, char *reply, size_t capacity);
