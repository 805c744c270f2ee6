// See handle-table.h.
#include "handle-table.h"
#include <errno.h>
#include <stdlib.h>

enum { EMPTY, USED, DELETED };

typedef struct {
  uint64_t fh;
  uint64_t value;
  int state;
} slot_t;

struct handle_table {
  slot_t *slots;
  size_t capacity; // a power of two
  size_t used;     // USED slots
  size_t filled;   // USED + DELETED slots: probes end at EMPTY ones
};

static size_t slot_of(uint64_t fh, size_t capacity) {
  fh ^= fh >> 33;
  fh *= 0xff51afd7ed558ccdULL;
  fh ^= fh >> 33;
  return (size_t)fh & (capacity - 1);
}

handle_table_t *handle_table_new(void) {
  handle_table_t *table = calloc(1, sizeof *table);
  if (!table) return NULL;
  table->capacity = 16;
  table->slots = calloc(table->capacity, sizeof *table->slots);
  if (!table->slots) {
    free(table);
    return NULL;
  }
  return table;
}

void handle_table_free(handle_table_t *table) {
  if (!table) return;
  free(table->slots);
  free(table);
}

static slot_t *find(const handle_table_t *table, uint64_t fh) {
  for (size_t i = slot_of(fh, table->capacity);; i = (i + 1) & (table->capacity - 1)) {
    slot_t *slot = &table->slots[i];
    if (slot->state == EMPTY) return NULL;
    if (slot->state == USED && slot->fh == fh) return slot;
  }
}

// Rebuilds the table at `capacity`, dropping tombstones.
static int rehash(handle_table_t *table, size_t capacity) {
  slot_t *slots = calloc(capacity, sizeof *slots);
  if (!slots) return -ENOMEM;
  for (size_t i = 0; i < table->capacity; i++) {
    const slot_t *old = &table->slots[i];
    if (old->state != USED) continue;
    size_t j = slot_of(old->fh, capacity);
    while (slots[j].state == USED) j = (j + 1) & (capacity - 1);
    slots[j] = *old;
  }
  free(table->slots);
  table->slots = slots;
  table->capacity = capacity;
  table->filled = table->used;
  return 0;
}

int handle_table_put(handle_table_t *table, uint64_t fh, uint64_t value) {
  slot_t *slot = find(table, fh);
  if (slot) {
    slot->value = value;
    return 0;
  }
  // At most half full, tombstones included, so that every probe meets an EMPTY slot soon.
  if (2 * (table->filled + 1) > table->capacity) {
    size_t capacity = 2 * (table->used + 1) > table->capacity / 2 ? 2 * table->capacity : table->capacity;
    int err = rehash(table, capacity);
    if (err) return err;
  }
  size_t i = slot_of(fh, table->capacity);
  while (table->slots[i].state == USED) i = (i + 1) & (table->capacity - 1);
  if (table->slots[i].state == EMPTY) table->filled++;
  table->slots[i] = (slot_t){.fh = fh, .value = value, .state = USED};
  table->used++;
  return 0;
}

int handle_table_get(const handle_table_t *table, uint64_t fh, uint64_t *value) {
  if (table->used == 0) return 0;
  const slot_t *slot = find(table, fh);
  if (!slot) return 0;
  *value = slot->value;
  return 1;
}

int handle_table_remove(handle_table_t *table, uint64_t fh, uint64_t *value) {
  slot_t *slot = find(table, fh);
  if (!slot) return 0;
  *value = slot->value;
  slot->state = DELETED;
  table->used--;
  return 1;
}

size_t handle_table_size(const handle_table_t *table) { return table->used; }

void handle_table_each(const handle_table_t *table, void (*visit)(uint64_t value, void *arg), void *arg) {
  for (size_t i = 0; i < table->capacity; i++) {
    if (table->slots[i].state == USED) visit(table->slots[i].value, arg);
  }
}
