// Reads and writes the addon answers itself, from a real descriptor the backend holds for the
// handle (Operations.backingFd), without a round trip through JavaScript.
#pragma once
#include <linux/fuse.h>
#include <stddef.h>
#include <stdint.h>

typedef struct descriptor_table descriptor_table_t;

descriptor_table_t *descriptor_table_new(void);
void descriptor_table_free(descriptor_table_t *table);
/* Serves handle `fh` from `fd` from now on; 0, or -ENOMEM. */
int descriptor_table_put(descriptor_table_t *table, uint64_t fh, int fd);
void descriptor_table_remove(descriptor_table_t *table, uint64_t fh);

/*
 * Answers a READ or WRITE for a handle in the table from its parts: the opcode's header `op`, and
 * a write's data. The body goes to `body` (`capacity` bytes, which may be `data` itself), its
 * header's len and error to `out`. 1 if answered, 0 if the request is JavaScript's to serve.
 */
int descriptor_io_answer(descriptor_table_t *table, uint32_t opcode, const char *op, size_t op_len, const char *data, size_t data_len,
                         struct fuse_out_header *out, char *body, size_t capacity);

/*
 * The same for a request as read from /dev/fuse (`dev`), answered there, using `reply`
 * (`capacity` bytes) for the answer.
 */
int descriptor_io_serve(descriptor_table_t *table, int dev, const char *request, size_t length, char *reply, size_t capacity);
