// A table keyed by the kernel's file handle (open addressing, linear probing, tombstones), for the
// handles the addon answers requests of itself: descriptor-io's descriptors, resident-reads' data.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct handle_table handle_table_t;

handle_table_t *handle_table_new(void);
void handle_table_free(handle_table_t *table);
/* Sets the value of `fh`; 0, or -ENOMEM. */
int handle_table_put(handle_table_t *table, uint64_t fh, uint64_t value);
/* The value of `fh` in `*value`: 1, or 0 when `fh` is not in the table. */
int handle_table_get(const handle_table_t *table, uint64_t fh, uint64_t *value);
/* Takes `fh` out; its value in `*value`: 1, or 0 when it was not there. */
int handle_table_remove(handle_table_t *table, uint64_t fh, uint64_t *value);
size_t handle_table_size(const handle_table_t *table);
/* Calls `visit` with every value (the table must not change meanwhile). */
void handle_table_each(const handle_table_t *table, void (*visit)(uint64_t value, void *arg), void *arg);
