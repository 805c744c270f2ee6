// See request-helpers.h.
#define _GNU_SOURCE
#include "request-helpers.h"
#include "helper-backlog.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_HELPERS 16

typedef struct {
  request_helpers_t *owner;
  pthread_t thread;
  int first;  // times its reads (helper-backlog.h)
  int parks;  // waits while the first has a backlog
  unsigned long first_stuck_at; // the first's reads when this one last found it stuck (park_while_backlog)
  int fd; // the clone
  char *buffer;
  char *reply;
  int started;
} helper_t;

struct request_helpers {
  uv_async_t async;
  helper_serve_fn serve;
  void *arg;
  void (*on_forwarded)(void *arg);
  size_t size;
  pthread_mutex_t queue_lock;
  forwarded_t *head, *tail;
  backlog_t backlog;   // the first helper's (helper-backlog.h)
  int parking;         // set while it has one: helpers from backlog_readers(count) on wait on park_cond
  unsigned long first_reads; // the first helper's, so far
  pthread_mutex_t park_lock;
  pthread_cond_t park_cond;
  unsigned count;
  helper_t helpers[MAX_HELPERS];
};

static void enqueue(request_helpers_t *h, forwarded_t *item) {
  pthread_mutex_lock(&h->queue_lock);
  if (h->tail) h->tail->next = item;
  else h->head = item;
  h->tail = item;
  pthread_mutex_unlock(&h->queue_lock);
  uv_async_send(&h->async);
}

void fuse_answer(int fd, uint64_t unique, int err, const void *body, size_t length) {
  if (err) length = 0;
  struct fuse_out_header out = {.len = (uint32_t)(sizeof out + length), .error = -err, .unique = unique};
  struct iovec parts[2] = {{&out, sizeof out}, {(void *)body, length}};
  while (writev(fd, parts, length ? 2 : 1) < 0 && errno == EINTR) {
  }
}

void fuse_answer_error(int fd, uint64_t unique, int err) { fuse_answer(fd, unique, err, NULL, 0); }

static uint64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static void unlock_on_cancel(void *lock) { pthread_mutex_unlock(lock); }

// How often a parked helper looks whether the first one still reads.
#define PARKED_CHECK_NS 10000000

// A helper past backlog_readers waits here while the first has a backlog (cancellable), but not
// while the first reads nothing for PARKED_CHECK_NS: it is then stuck in an answer (a hung
// source), or the requests stopped and it waits in read; either way this one reads, and parks
// no more until the first has read again.
static void park_while_backlog(request_helpers_t *h, helper_t *self) {
  if (!__atomic_load_n(&h->parking, __ATOMIC_RELAXED)) return;
  unsigned long seen = __atomic_load_n(&h->first_reads, __ATOMIC_RELAXED);
  if (seen == self->first_stuck_at) return;
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  pthread_mutex_lock(&h->park_lock);
  pthread_cleanup_push(unlock_on_cancel, &h->park_lock);
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  while (__atomic_load_n(&h->parking, __ATOMIC_RELAXED)) {
    until.tv_nsec += PARKED_CHECK_NS;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    if (pthread_cond_timedwait(&h->park_cond, &h->park_lock, &until) != ETIMEDOUT) continue;
    unsigned long reads = __atomic_load_n(&h->first_reads, __ATOMIC_RELAXED);
    if (reads == seen) {
      self->first_stuck_at = reads;
      break;
    }
    seen = reads;
  }
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  pthread_cleanup_pop(1);
}

// The first helper's read, timed for helper-backlog.h; `answered` is when its last answer began.
static ssize_t read_timed(request_helpers_t *h, int fd, char *buffer, uint64_t *answered) {
  uint64_t asked = now_ns();
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  ssize_t n = read(fd, buffer, h->size);
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  uint64_t got = now_ns();
  __atomic_store_n(&h->first_reads, h->first_reads + 1, __ATOMIC_RELAXED); // only this thread writes it
  switch (backlog_note(&h->backlog, asked - *answered, got - asked)) {
  case BACKLOG_STARTS: __atomic_store_n(&h->parking, 1, __ATOMIC_RELAXED); break;
  case BACKLOG_ENDS:
    pthread_mutex_lock(&h->park_lock);
    __atomic_store_n(&h->parking, 0, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&h->park_cond);
    pthread_mutex_unlock(&h->park_lock);
    break;
  }
  *answered = got;
  return n;
}

static void *helper_main(void *data) {
  helper_t *self = data;
  request_helpers_t *h = self->owner;
  char *buffer = self->buffer;
  uint64_t answered = now_ns();
  // Cancelled (at stop) only while waiting in read or parked: never holding a lock or half a request.
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  for (;;) {
    ssize_t n;
    if (self->first) {
      n = read_timed(h, self->fd, buffer, &answered);
    } else {
      if (self->parks) park_while_backlog(h, self);
      pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
      n = read(self->fd, buffer, h->size);
      pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    }
    if (n < 0) {
      int err = errno;
      if (err == EINTR || err == ENOENT || err == EAGAIN) continue; // ENOENT: the request was interrupted
      forwarded_t *end = calloc(1, sizeof *end);
      if (end) {
        end->fd = self->fd;
        end->length = -err;
        enqueue(h, end);
      }
      break;
    }
    if (h->serve(h->arg, self->fd, buffer, (size_t)n, self->reply, h->size)) continue;
    forwarded_t *item = malloc(sizeof *item + (size_t)n);
    if (!item) {
      if ((size_t)n >= sizeof(struct fuse_in_header)) fuse_answer_error(self->fd, ((const struct fuse_in_header *)buffer)->unique, ENOMEM);
      continue;
    }
    item->next = NULL;
    item->fd = self->fd;
    item->length = n;
    memcpy(item->data, buffer, (size_t)n);
    enqueue(h, item);
  }
  return NULL;
}

static void on_async(uv_async_t *async) {
  request_helpers_t *h = async->data;
  h->on_forwarded(h->arg);
}

static void free_queue(forwarded_t *item) {
  while (item) {
    forwarded_t *next = item->next;
    free(item);
    item = next;
  }
}

static void on_closed(uv_handle_t *handle) {
  request_helpers_t *h = handle->data;
  free_queue(h->head);
  pthread_mutex_destroy(&h->queue_lock);
  pthread_mutex_destroy(&h->park_lock);
  pthread_cond_destroy(&h->park_cond);
  free(h);
}

static int clone_of(int dev) {
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  uint32_t source = (uint32_t)dev;
  if (ioctl(fd, FUSE_DEV_IOC_CLONE, &source) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void stop_threads(request_helpers_t *h) {
  for (unsigned i = 0; i < h->count; i++) {
    helper_t *helper = &h->helpers[i];
    if (helper->started) {
      pthread_cancel(helper->thread);
      pthread_join(helper->thread, NULL);
    }
    if (helper->fd >= 0) close(helper->fd);
    free(helper->buffer);
    free(helper->reply);
  }
  h->count = 0;
}

request_helpers_t *request_helpers_start(uv_loop_t *loop, int dev, size_t size, unsigned count, helper_serve_fn serve, void *arg,
                                         void (*on_forwarded)(void *arg)) {
  if (count == 0) return NULL;
  if (count > MAX_HELPERS) count = MAX_HELPERS;
  request_helpers_t *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->serve = serve;
  h->arg = arg;
  h->on_forwarded = on_forwarded;
  h->size = size;
  h->backlog = (backlog_t)BACKLOG_INIT;
  pthread_mutex_init(&h->queue_lock, NULL);
  pthread_mutex_init(&h->park_lock, NULL);
  pthread_condattr_t monotonic;
  pthread_condattr_init(&monotonic);
  pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
  pthread_cond_init(&h->park_cond, &monotonic);
  pthread_condattr_destroy(&monotonic);
  if (uv_async_init(loop, &h->async, on_async)) {
    pthread_mutex_destroy(&h->queue_lock);
    pthread_mutex_destroy(&h->park_lock);
    pthread_cond_destroy(&h->park_cond);
    free(h);
    return NULL;
  }
  h->async.data = h;
  // Signals stay Node's to take, as in libuv's own threads: the helpers start with all blocked.
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &before);
  for (unsigned i = 0; i < count; i++) {
    helper_t *helper = &h->helpers[i];
    helper->owner = h;
    helper->first = i == 0;
    helper->parks = i >= backlog_readers(count);
    helper->first_stuck_at = ULONG_MAX;
    helper->fd = clone_of(dev);
    helper->buffer = malloc(size);
    helper->reply = malloc(size);
    h->count = i + 1;
    if (helper->fd < 0 || !helper->buffer || !helper->reply || pthread_create(&helper->thread, NULL, helper_main, helper) != 0) {
      pthread_sigmask(SIG_SETMASK, &before, NULL);
      stop_threads(h);
      uv_close((uv_handle_t *)&h->async, on_closed);
      return NULL;
    }
    helper->started = 1;
  }
  pthread_sigmask(SIG_SETMASK, &before, NULL);
  return h;
}

forwarded_t *request_helpers_take(request_helpers_t *h) {
  pthread_mutex_lock(&h->queue_lock);
  forwarded_t *items = h->head;
  h->head = h->tail = NULL;
  pthread_mutex_unlock(&h->queue_lock);
  return items;
}

void request_helpers_stop(request_helpers_t *h) {
  stop_threads(h);
  uv_close((uv_handle_t *)&h->async, on_closed);
}
