// Reading a directory: getdents64 in batches from a descriptor opened for it, written straight
// into the driver's READDIR and READDIRPLUS replies.
#define _GNU_SOURCE
#include "source-calls.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

// Where a listing stands between writes, at the start of the JS Buffer that holds it (so it
// lives as long as the listing does): getdents64's last batch and the next entry in it.
struct listing_state {
  uint32_t at;      // the next entry's place in `batch`
  uint32_t length;  // bytes of `batch` getdents64 filled
  uint32_t skip;    // entries still to step over (a listing resumed on a new descriptor)
  uint32_t ended;   // getdents64 found the end
  uint32_t written; // out: entries the last write wrote
  uint32_t recorded; // out: of them, those given a stat (one record each)
  char batch[];
};

// What every entry of a write shares (a Float64Array): the kernel's caching of entries and
// attributes as (sec, nsec), the owner and group shown (-1: the file's own), the permission
// bits hidden, and the inode number ".." shows (0: getdents64's).
enum { ENTRY_SEC, ENTRY_NSEC, ATTR_SEC, ATTR_NSEC, VIEW_UID, VIEW_GID, VIEW_UMASK, DOTDOT_INO, SETTINGS };

// One record per entry given a stat, for the caller's node table: where its fuse_entry_out is
// (its nodeid is the caller's to write), where its name is and how long, st_dev, st_ino's high
// and low 32 bits, st_ino, and st_mode.
enum { REC_ENTRY, REC_NAME, REC_NAME_LENGTH, REC_DEV, REC_INO_HIGH, REC_INO_LOW, REC_INO, REC_MODE, RECORD_FIELDS };

#define STATE_HEADER ((uint32_t)sizeof(struct listing_state))
// What one getdents64 call reads at most: the unit "a directory of more than one batch" counts in.
#define BATCH_BYTES 32768u
// Room a full getdents64 batch may leave unused (less than one entry with a long name).
#define FULL_BATCH_SLACK 512

// openDirectory(fd) -> a descriptor for reading the directory node `fd` holds | -errno (ENOTDIR)
napi_value open_directory(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t fd;
  if (get_int(env, argv[0], &fd)) return NULL;
  return outcome(env, openat((int)fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

static uint32_t dev_of_kernel(dev_t dev) {
  // The kernel's 32-bit encoding (new_encode_dev), what fuse_attr.rdev carries.
  return (minor(dev) & 0xff) | (major(dev) << 8) | ((minor(dev) & ~0xffu) << 12);
}

static void fill_attr(struct fuse_attr *attr, const struct stat *s, const double *settings) {
  *attr = (struct fuse_attr){
      .ino = s->st_ino,
      .size = (uint64_t)s->st_size,
      .blocks = (uint64_t)s->st_blocks,
      .atime = (uint64_t)s->st_atim.tv_sec,
      .mtime = (uint64_t)s->st_mtim.tv_sec,
      .ctime = (uint64_t)s->st_ctim.tv_sec,
      .atimensec = (uint32_t)s->st_atim.tv_nsec,
      .mtimensec = (uint32_t)s->st_mtim.tv_nsec,
      .ctimensec = (uint32_t)s->st_ctim.tv_nsec,
      .mode = s->st_mode & ~(uint32_t)settings[VIEW_UMASK],
      .nlink = (uint32_t)s->st_nlink,
      .uid = settings[VIEW_UID] < 0 ? s->st_uid : (uint32_t)settings[VIEW_UID],
      .gid = settings[VIEW_GID] < 0 ? s->st_gid : (uint32_t)settings[VIEW_GID],
      .rdev = dev_of_kernel(s->st_rdev),
      .blksize = (uint32_t)s->st_blksize,
  };
}

// Makes sure the state holds an entry to write (reading the next batch, stepping over `skip`):
// 1, 0 at the end, or -errno.
static int next_entry(int fd, struct listing_state *state, uint32_t capacity) {
  for (;;) {
    if (state->at < state->length) {
      if (state->skip == 0) return 1;
      state->skip--;
      state->at += ((struct dirent64 *)(state->batch + state->at))->d_reclen;
      continue;
    }
    if (state->ended) return 0;
    long length = syscall(SYS_getdents64, fd, state->batch, capacity);
    if (length < 0) return -errno;
    state->at = 0;
    state->length = (uint32_t)length;
    state->ended = length == 0;
  }
}

// readAhead(dirFd, state) -> bytes read | 0 | -errno: when half a batch of the state or more is
// free, moves what is left of the batch to its start and reads the entries after it into the rest
// (a state read ahead into holds several batches): what the next writes take, read while the
// kernel's caller takes in the last reply. 0 when nothing was read (little room, the end found,
// or entries to step over); after a failure the next write meets it again.
napi_value read_ahead(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t fd;
  struct listing_state *state;
  size_t state_bytes;
  if (get_int(env, argv[0], &fd)) return NULL;
  if (napi_get_buffer_info(env, argv[1], (void **)&state, &state_bytes) != napi_ok || state_bytes <= STATE_HEADER + BATCH_BYTES ||
      state->at > state->length || state->length > state_bytes - STATE_HEADER)
    return bad_arguments(env);
  uint32_t capacity = (uint32_t)(state_bytes - STATE_HEADER);
  uint32_t left = state->length - state->at;
  if (state->ended || state->skip || capacity - left < BATCH_BYTES / 2) return number(env, 0);
  memmove(state->batch, state->batch + state->at, left);
  state->at = 0;
  state->length = left;
  long length = syscall(SYS_getdents64, (int)fd, state->batch + left, capacity - left);
  if (length < 0) return number(env, -errno);
  state->length += (uint32_t)length;
  state->ended = length == 0;
  return number(env, (double)length);
}

// Whether `ino` is one of the `count` sorted values of `known`.
static int is_known(const double *known, size_t count, double ino) {
  size_t low = 0, high = count;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    if (known[middle] < ino) low = middle + 1;
    else high = middle;
  }
  return low < count && known[low] == ino;
}

// writeEntries(dirFd, state, into, start, room, most, plus, settings, records, next, known,
// largeStats) -> bytes written | -errno: the next entries of the listing whose state is `state`
// (a Buffer, its header zeroed for a new listing) that fit in `room` bytes of `into` at `start`,
// at most `most` of them, as fuse_dirent (offsets from `next` + 1 on) or, with `plus`,
// fuse_direntplus whose attributes are a fstatat of the name (nodeid 0: the caller writes the
// node ids from `records`; "." and "..", a name gone since getdents64 read it, and one whose
// inode number is in `known` (sorted: the kernel has its entry already) keep 0 and no
// attributes), and so do the names of a directory of more than one batch unless `largeStats`.
// Stops early when `records` is full. `most` 0 only reads the first batch.
napi_value write_entries(napi_env env, napi_callback_info info) {
  ARGS(12);
  int64_t fd, start, room, most, next;
  int plus, large_stats;
  struct listing_state *state;
  size_t state_bytes, into_bytes, settings_count, record_count, known_count;
  char *into;
  double *settings, *records, *known;
  napi_typedarray_type type;
  if (get_int(env, argv[0], &fd) || get_int(env, argv[3], &start) || get_int(env, argv[4], &room) ||
      get_int(env, argv[5], &most) || get_bool(env, argv[6], &plus) || get_int(env, argv[9], &next) ||
      get_bool(env, argv[11], &large_stats))
    return NULL;
  if (napi_get_buffer_info(env, argv[1], (void **)&state, &state_bytes) != napi_ok || state_bytes <= STATE_HEADER + 4096 ||
      napi_get_buffer_info(env, argv[2], (void **)&into, &into_bytes) != napi_ok || start < 0 || room < 0 ||
      (uint64_t)(start + room) > into_bytes ||
      napi_get_typedarray_info(env, argv[7], &type, &settings_count, (void **)&settings, NULL, NULL) != napi_ok ||
      type != napi_float64_array || settings_count < SETTINGS ||
      napi_get_typedarray_info(env, argv[8], &type, &record_count, (void **)&records, NULL, NULL) != napi_ok ||
      type != napi_float64_array ||
      napi_get_typedarray_info(env, argv[10], &type, &known_count, (void **)&known, NULL, NULL) != napi_ok ||
      type != napi_float64_array)
    return bad_arguments(env);
  // getdents64 reads a batch at most, whatever room a state read ahead into has (read_ahead).
  uint32_t capacity = (uint32_t)(state_bytes - STATE_HEADER) < BATCH_BYTES ? (uint32_t)(state_bytes - STATE_HEADER) : BATCH_BYTES;
  size_t most_records = record_count / RECORD_FIELDS;
  char *out = into + start;
  int64_t used = 0;
  state->written = state->recorded = 0;
  // The next entry is read only while one could still fit: a batch read after a full reply would
  // be read before that reply goes out (read_ahead reads it after).
  int64_t smallest = (int64_t)(FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + 1) + (plus ? sizeof(struct fuse_entry_out) : 0));
  int more = next_entry((int)fd, state, capacity);
  for (; more == 1 && state->written < most; more = room - used < smallest ? 0 : next_entry((int)fd, state, capacity)) {
    struct dirent64 *d = (struct dirent64 *)(state->batch + state->at);
    size_t name_length = strlen(d->d_name);
    size_t dirent_size = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + name_length);
    size_t size = plus ? sizeof(struct fuse_entry_out) + dirent_size : dirent_size;
    if (used + (int64_t)size > room || (plus && state->recorded == most_records)) break;
    int dots = d->d_name[0] == '.' && (d->d_name[1] == 0 || (d->d_name[1] == '.' && d->d_name[2] == 0));
    struct fuse_dirent *dirent = (struct fuse_dirent *)(out + used + (plus ? sizeof(struct fuse_entry_out) : 0));
    if (plus) {
      struct fuse_entry_out *entry = (struct fuse_entry_out *)(out + used);
      struct stat s;
      memset(entry, 0, sizeof *entry);
      // A batch getdents64 did not fill was the directory's last.
      int stats = large_stats || state->length + FULL_BATCH_SLACK <= capacity;
      if (!dots && stats && !is_known(known, known_count, (double)d->d_ino) &&
          fstatat((int)fd, d->d_name, &s, AT_SYMLINK_NOFOLLOW) == 0) {
        entry->entry_valid = (uint64_t)settings[ENTRY_SEC];
        entry->entry_valid_nsec = (uint32_t)settings[ENTRY_NSEC];
        entry->attr_valid = (uint64_t)settings[ATTR_SEC];
        entry->attr_valid_nsec = (uint32_t)settings[ATTR_NSEC];
        fill_attr(&entry->attr, &s, settings);
        double *record = records + (size_t)state->recorded++ * RECORD_FIELDS;
        record[REC_ENTRY] = (double)(start + used);
        record[REC_NAME] = (double)((char *)dirent->name - into);
        record[REC_NAME_LENGTH] = (double)name_length;
        record[REC_DEV] = (double)s.st_dev;
        record[REC_INO_HIGH] = (double)(s.st_ino >> 32);
        record[REC_INO_LOW] = (double)(s.st_ino & 0xffffffffu);
        record[REC_INO] = (double)s.st_ino;
        record[REC_MODE] = s.st_mode;
      }
    }
    int dotdot = dots && d->d_name[1] == '.';
    dirent->ino = dotdot && settings[DOTDOT_INO] > 0 ? (uint64_t)settings[DOTDOT_INO] : d->d_ino;
    dirent->off = (uint64_t)(next + state->written + 1);
    dirent->namelen = (uint32_t)name_length;
    dirent->type = d->d_type;
    memcpy(dirent->name, d->d_name, name_length);
    memset(dirent->name + name_length, 0, dirent_size - FUSE_NAME_OFFSET - name_length);
    used += (int64_t)size;
    state->written++;
    state->at += d->d_reclen;
  }
  // A failure after some entries were written is the next write's to tell.
  return more < 0 && used == 0 ? number(env, more) : number(env, (double)used);
}
