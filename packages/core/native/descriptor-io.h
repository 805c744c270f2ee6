// Reads and writes the addon answers itself, from a real descriptor the backend holds for the
// handle (Operations.backingFd), without a round trip through JavaScript.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct descriptor_table descriptor_table_t;

descriptor_table_t *descriptor_table_new(void);
void descriptor_table_free(descriptor_table_t *table);
/* Serves handle `fh` from `fd` from now on; 0, or -ENOMEM. */
int descriptor_table_put(descriptor_table_t *table, uint64_t fh, int fd);
void descriptor_table_remove(descriptor_table_t *table, uint64_t fh);

/*
 * Answers a READ or WRITE request for a handle in the table on /dev/fuse (`dev`), using `reply`
 * (`capacity` bytes) for the answer. 1 if answered, 0 if the request is JavaScript's to serve.
 */
int descriptor_io_serve(descriptor_table_t *table, int dev, const char *request, size_t length, char *reply, size_t capacity);
