// The kernel side of a FUSE session for the low-level driver: reading
// requests on Node's own thread (uv_poll), so a request costs one wake-up (until random reads of
// held bytes come fast: then helper threads read, request-helpers.c). The protocol itself
// is decoded and answered in JavaScript (src/lowlevel/), except reads and writes on handles
// with a real descriptor behind them (descriptor-io.c) and random reads of bytes a backend holds in
// memory (resident-reads.c). Requests are read into one Buffer that JavaScript owns and reads in
// place: no allocation per request.
#define _GNU_SOURCE
#include "fuse-session.h"
#include "caller-cpu.h"
#include "directory-removals.h"
#include "forget-log.h"
#include "fuse-uring.h"
#include "js-callback.h"
#include "napi-util.h"
#include "kernel-mount.h"
#include "listing-ends.h"
#include "listing-replays.h"
#include "read-on-policy.h"
#include "request-helpers.h"
#include "resident-reads.h"
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fuse.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

typedef struct {
  uv_poll_t poll;
  uv_loop_t *loop;
  uv_timer_t forget_timer; // hands the forget log to JavaScript when no request came to (FORGETS_READ_WITHIN_MS)
  napi_env env;
  js_callback_t js;
  napi_ref served; // told after a batch in which requests were answered here (NULL: nobody asked)
  napi_ref request; // the JS Buffer `buffer` points into
  int fd;
  int stopped;
  int handles;  // uv handles not closed yet (poll and forget_timer)
  int orphaned; // JS dropped its handle object
  int follow_callers; // caller-cpu.h
  size_t size;
  char *buffer; // `size` bytes, owned by JS (request)
  // Held around what helper threads look up while this thread changes it: the entries of the
  // descriptor and resident tables (the pointers to the tables are published atomically).
  pthread_mutex_t lock;
  handle_table_t *descriptors; // created with the first handle served here
  char *reply;                 // `size` bytes, for the answers of descriptor-io
  handle_table_t *read_ends;   // fh -> where its last read answered here ended, until helpers start
  resident_reads_t *resident;  // created with the first bytes held
  unsigned long replies;       // replies written (write_reply): whether JavaScript answered the request it was given
  read_on_t read_on;           // whether to read the next request at once (read-on-policy.h)
  unsigned random_answers;     // random reads answered here, up to HELPERS_AFTER
  request_helpers_t *helpers;  // reading instead of this thread once random reads answered here come fast
  handle_table_t *forwarded;   // unique -> the clone a helper read that request from, until answered
  // Node's thread's own, changed by JavaScript, looked up in on_readable and on_forwarded:
  listing_ends_t ends;             // where listings ended
  listing_replays_t replays;       // whole listings kept to answer the next one
  directory_removals_t *removals;  // directories whose names are removed here (NULL: none offered)
  napi_ref removal_log;            // the JS Buffer their log is written into
  char *forget_log;                // FORGETs taken here (forget-log.h; NULL: JavaScript takes them)
  size_t forget_log_size;
  napi_ref forget_log_buffer;      // the JS Buffer it is
  napi_ref forgets_logged;         // told to read the log when no request came to (call_forgets_logged)
} session_t;

// Random reads answered here (from held bytes or a descriptor) before helper threads take over the reading.
#define HELPERS_AFTER 256

handle_table_t *fuse_session_descriptors(const void *session) {
  const session_t *s = session;
  return s->stopped ? NULL : s->descriptors;
}

// Helper threads read these pointers without the lock: each is set once, and freed after they stopped.
static handle_table_t *descriptors_of(session_t *s) { return __atomic_load_n(&s->descriptors, __ATOMIC_ACQUIRE); }
static resident_reads_t *resident_of(session_t *s) { return __atomic_load_n(&s->resident, __ATOMIC_ACQUIRE); }

// The resident table, created with the first bytes held; NULL when out of memory.
static resident_reads_t *resident_made(session_t *s, napi_env env) {
  if (!s->resident) __atomic_store_n(&s->resident, resident_reads_new(env), __ATOMIC_RELEASE);
  return s->resident;
}

static void session_free(session_t *s) {
  pthread_mutex_destroy(&s->lock);
  free(s);
}

static void on_closed(uv_handle_t *handle) {
  session_t *s = (session_t *)handle->data;
  if (--s->handles > 0) return;
  s->buffer = NULL;
  free(s->reply);
  s->reply = NULL;
  handle_table_free(s->descriptors);
  s->descriptors = NULL;
  handle_table_free(s->read_ends);
  s->read_ends = NULL;
  listing_replays_free(&s->replays);
  if (s->orphaned) session_free(s);
}

static void on_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  session_t *s = (session_t *)data;
  if (s->handles == 0) session_free(s);
  else s->orphaned = 1;
}

static void session_stop(session_t *s) {
  if (s->stopped) return;
  s->stopped = 1;
  uv_poll_stop(&s->poll);
  if (s->follow_callers) caller_cpu_release();
  if (s->helpers) request_helpers_stop(s->helpers);
  s->helpers = NULL;
  handle_table_free(s->forwarded);
  s->forwarded = NULL;
  js_callback_free(&s->js);
  if (s->served) napi_delete_reference(s->env, s->served);
  napi_delete_reference(s->env, s->request);
  resident_reads_free(s->resident);
  s->resident = NULL;
  directory_removals_free(s->removals);
  s->removals = NULL;
  if (s->removal_log) napi_delete_reference(s->env, s->removal_log);
  s->removal_log = NULL;
  if (s->forget_log) {
    napi_delete_reference(s->env, s->forget_log_buffer);
    napi_delete_reference(s->env, s->forgets_logged);
  }
  s->forget_log = NULL;
  uv_close((uv_handle_t *)&s->poll, on_closed);
  uv_close((uv_handle_t *)&s->forget_timer, on_closed);
}

static void start_helpers(session_t *s);

static void lock_tables(session_t *s) { pthread_mutex_lock(&s->lock); }
static void unlock_tables(session_t *s) { pthread_mutex_unlock(&s->lock); }

enum { FORWARD, ANSWERED, ANSWERED_RANDOM };

// Answers `request` (read from `fd`) from held bytes or a descriptor, on this thread or a helper:
// ANSWERED_RANDOM for a read of held bytes (those are the random ones), ANSWERED for a
// descriptor's read or write, FORWARD when JavaScript serves it. The held bytes are answered
// under the lock: their memory is not the addon's once released.
static int serve_here(session_t *s, int fd, const char *request, size_t length, char *reply, size_t capacity) {
  const struct fuse_in_header *in = (const void *)request;
  // Every other request is JavaScript's: no lock taken for it.
  if (length < sizeof *in || (in->opcode != FUSE_READ && in->opcode != FUSE_WRITE)) return FORWARD;
  resident_reads_t *resident = in->opcode == FUSE_READ ? resident_of(s) : NULL;
  if (resident) {
    lock_tables(s);
    int answered = resident_serve(resident, fd, request, length);
    unlock_tables(s);
    if (answered) return ANSWERED_RANDOM;
  }
  handle_table_t *descriptors = descriptors_of(s);
  return descriptors && descriptor_io_serve(descriptors, &s->lock, fd, request, length, reply, capacity) ? ANSWERED : FORWARD;
}

// The clock of kept listings (listing-replays.h).
static uint64_t monotonic_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

// Answers, from tables only Node's thread and JavaScript change, a READDIRPLUS from offset 0 of a
// listing kept whole (listing-replays.h: its end is marked then), the READDIR that finds the end
// of a listing JavaScript marked (listing-ends.h: an empty reply; other requests drop the marks
// and listings they make stale), and an UNLINK or RMDIR in a directory offered for it and that
// directory's GETATTR (directory-removals.h).
static int answered_on_node_thread(session_t *s, int fd, const char *request, size_t length) {
  int err = 0;
  struct fuse_attr_out attr;
  const void *body = &attr;
  size_t body_length = 0; // error 0 and no body: an empty reply
  uint64_t end, fh;
  const char *replay = listing_replays_answer(&s->replays, request, length, monotonic_ms, &body_length, &end, &fh);
  if (replay) {
    body = replay;
    listing_ends_mark(&s->ends, ((const struct fuse_in_header *)request)->nodeid, fh, end);
  } else if (listing_ends_answer(&s->ends, request, length) || (s->removals && directory_removals_take(s->removals, request, length, &err))) {
  } else if (s->removals && directory_removals_getattr(s->removals, request, length, &attr, &err)) {
    body_length = sizeof attr;
  } else {
    return 0;
  }
  // Written as JavaScript's replies are (write_reply): the caller wakes where they would wake it.
  if (s->follow_callers) caller_cpu_reply_begin();
  fuse_answer(fd, ((const struct fuse_in_header *)request)->unique, err, body, body_length);
  // The next request may be answered here too: the thread stays SCHED_IDLE until the run ends (end_reply_run).
  if (s->follow_callers) caller_cpu_reply_written();
  return 1;
}

// Ends a run of replies written here as SCHED_IDLE (caller-cpu.h): before JavaScript runs, before
// the thread goes back to libuv, and when no request came within RUN_WAIT_MS (wait_here).
static void end_reply_run(session_t *s) {
  if (s->follow_callers) caller_cpu_run_end();
}

// How long a run of replies outlasts a wait for the next request. Ending it before every wait
// was two sched_setscheduler calls per request in `rm -rf` (33,000 of ~1.9 µs each, 5% of the
// thread's CPU time); a request that comes within this finds the thread SCHED_IDLE still, and
// a caller on its vCPU goes on to block before the thread runs. Longer, the watchdog (STUCK_MS
// in caller-cpu.c) could not tell a waiting thread from one starved behind other work.
#define RUN_WAIT_MS 1

// Whether a READ answered from a descriptor started elsewhere than its handle's last one ended
// (an O_DIRECT random reader's): those start helper threads as random reads of held bytes do.
// Sequential readers do not: every other request would take a hop more.
static int random_descriptor_read(session_t *s, size_t length) {
  const struct fuse_in_header *in = (const void *)s->buffer;
  struct fuse_read_in read_in;
  if (!s->read_ends || in->opcode != FUSE_READ || length < sizeof *in + sizeof read_in) return 0;
  memcpy(&read_in, s->buffer + sizeof *in, sizeof read_in);
  uint64_t last_end = 0; // a handle's first read follows if it starts the file
  handle_table_get(s->read_ends, read_in.fh, &last_end);
  int follows = last_end == read_in.offset;
  // No room to remember it: counted as following (helpers are only a speed-up).
  if (handle_table_put(s->read_ends, read_in.fh, read_in.offset + read_in.size)) return 0;
  return !follows;
}

// FORGETs logged are read by JavaScript before its next request; with none coming, this long
// after the wake-up that logged the first (an unlinked file's descriptor is closed then), or at
// the end of a wake-up that left the log half full. A call into JavaScript per wake-up was one
// per file in `rm -rf`, as many as its requests.
#define FORGETS_READ_WITHIN_MS 20

static void call_forgets_logged(session_t *s, js_wakeup_t *w) {
  napi_value on_logged;
  napi_get_reference_value(s->env, s->forgets_logged, &on_logged);
  js_call(s->env, on_logged, w->global, 0, NULL);
}

static void on_forget_timer(uv_timer_t *timer) {
  session_t *s = (session_t *)timer->data;
  if (s->stopped || !forget_log_count(s->forget_log)) return;
  js_wakeup_t w;
  js_wakeup_open(&s->js, &w);
  call_forgets_logged(s, &w);
  js_wakeup_close(&s->js, &w);
}

// The end of a turn of reading: FORGETs logged are handed on (call_forgets_logged), `served` told,
// and the callback scope closed, so that Promise continuations run.
static void turn_end(session_t *s, js_wakeup_t *w, int *in_js, int *logged, int *served) {
  int due = *logged && !s->stopped && forget_log_due(s->forget_log, s->forget_log_size);
  int tell = *served && !s->stopped && s->served;
  // JavaScript runs below (the scope's close runs Promise continuations): not as SCHED_IDLE.
  if (*in_js || due || tell) end_reply_run(s);
  if (due) {
    if (!(*in_js)++) js_wakeup_open(&s->js, w);
    call_forgets_logged(s, w);
  } else if (*logged && !s->stopped && !uv_is_active((uv_handle_t *)&s->forget_timer)) {
    uv_timer_start(&s->forget_timer, on_forget_timer, FORGETS_READ_WITHIN_MS, 0);
  }
  if (tell) {
    if (!(*in_js)++) js_wakeup_open(&s->js, w);
    napi_value on_served;
    napi_get_reference_value(s->env, s->served, &on_served);
    js_call(s->env, on_served, w->global, 0, NULL);
  }
  if (*in_js) js_wakeup_close(&s->js, w);
  *in_js = *logged = *served = 0;
}

// Waits for the next request here instead of going back to libuv, while libuv has nothing else
// to do: no callback pending, no timer due before (the wait ends at the next one), and no
// descriptor ready but /dev/fuse. Its epoll is level-triggered, so waiting on it here takes no
// event from it: any other descriptor ready sends this thread back. A turn of Node's loop per
// request was a fifth of this thread's user time in `rm -rf` (each check phase makes an object
// and a callback scope). A run of replies (end_reply_run) lasts RUN_WAIT_MS into the wait.
// 1: a request is there to read; 0: back to the loop.
static int wait_here(session_t *s) {
  if (s->stopped || s->served || s->helpers) return 0;
  uv_update_time(s->loop);
  int timeout = uv_backend_timeout(s->loop);
  if (timeout == 0) return 0;
  struct epoll_event ready[4];
  int n = 0;
  if (s->follow_callers && caller_cpu_in_run()) {
    n = epoll_wait(uv_backend_fd(s->loop), ready, 4, timeout > 0 && timeout < RUN_WAIT_MS ? timeout : RUN_WAIT_MS);
    if (n == 0) {
      end_reply_run(s);
      uv_update_time(s->loop);
      timeout = uv_backend_timeout(s->loop);
      if (timeout == 0) return 0;
    }
  }
  if (n == 0) n = epoll_wait(uv_backend_fd(s->loop), ready, 4, timeout);
  if (n <= 0) return 0; // a timer is due, or a signal came
  for (int i = 0; i < n; i++)
    if (ready[i].data.fd != s->fd) return 0;
  return 1;
}

// Reads the requests that are ready: one callback per request with its length in the shared
// buffer, and one with -errno when the kernel ended the session (unmounted). Requests answered
// here (a listing's end, removals in offered directories, descriptor-io, resident-reads) call no
// JavaScript but `served`, once per turn, if asked; FORGETs logged here (forget-log.h) are read
// as call_forgets_logged's comment says. After a turn (reading stops as read-on-policy.h says)
// the next request is waited for here while libuv has nothing else to do (wait_here). Reading
// ends when the callback returns false (the session ended).
static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  session_t *s = (session_t *)handle->data;
  napi_env env = s->env;
  js_wakeup_t w;
  int in_js = 0; // the callback scope is opened for the first request that needs JavaScript
  int served = 0;
  int logged = 0;
  int after_answer = 0; // this read follows an answer
  for (unsigned count = 1; !s->stopped; count++) {
    ssize_t n = read(s->fd, s->buffer, s->size);
    if (n < 0) {
      int err = errno;
      if (err == EINTR || err == ENOENT) continue; // ENOENT: the request was interrupted
      if (err == EAGAIN) {
        if (after_answer) read_on_found(&s->read_on, 0);
        goto turn_over;
      }
      end_reply_run(s);
      if (!in_js++) js_wakeup_open(&s->js, &w);
      napi_value end;
      napi_create_int32(env, -err, &end);
      session_stop(s);
      js_call(env, w.function, w.global, 1, end);
      break;
    }
    if (after_answer) read_on_found(&s->read_on, 1);
    if (s->follow_callers) caller_cpu_read();
    // A FORGET is logged once the listing ends have dropped the marks it makes stale.
    int here = answered_on_node_thread(s, s->fd, s->buffer, (size_t)n) ? ANSWERED : FORWARD;
    if (here == FORWARD && s->forget_log && forget_log_take(s->forget_log, s->forget_log_size, s->buffer, (size_t)n)) {
      logged++;
      after_answer = 0; // nobody waits for a FORGET
      if (read_on_next(&s->read_on, 0, count)) continue;
      goto turn_over;
    }
    if (here == FORWARD) here = serve_here(s, s->fd, s->buffer, (size_t)n, s->reply, s->size);
    if (here != FORWARD && s->random_answers < HELPERS_AFTER &&
        (here == ANSWERED_RANDOM || random_descriptor_read(s, (size_t)n)) && ++s->random_answers == HELPERS_AFTER)
      start_helpers(s);
    if (here != FORWARD) {
      served++;
      after_answer = 1;
      if (read_on_next(&s->read_on, 1, count)) continue;
      goto turn_over;
    }
    end_reply_run(s);
    if (!in_js++) js_wakeup_open(&s->js, &w);
    if (s->follow_callers) caller_cpu_note((const struct fuse_in_header *)s->buffer, (size_t)n);
    napi_value length;
    unsigned long replies = s->replies;
    if (napi_create_int32(env, (int32_t)n, &length) != napi_ok || !js_call_bool(env, w.function, w.global, 1, length)) break;
    after_answer = s->replies != replies;
    if (read_on_next(&s->read_on, after_answer, count)) continue;
  turn_over:
    turn_end(s, &w, &in_js, &logged, &served);
    if (!wait_here(s)) break;
    count = 0;
    after_answer = 0;
  }
  turn_end(s, &w, &in_js, &logged, &served);
  end_reply_run(s);
}

// Helper threads answer what this thread would (serve_here) and forward the rest here.
static int helper_serve(void *arg, int fd, const char *request, size_t length, char *reply, size_t capacity) {
  return serve_here(arg, fd, request, length, reply, capacity) != FORWARD;
}

// Whether the kernel waits for an answer to a request of this kind (only those are remembered).
static int answered(uint32_t opcode) {
  return opcode != FUSE_FORGET && opcode != FUSE_BATCH_FORGET && opcode != FUSE_INTERRUPT && opcode != FUSE_NOTIFY_REPLY;
}

// Requests the helpers forwarded, handed to JavaScript as if read here; each one's answer goes to
// the clone it came from (write_reply).
static void on_forwarded(void *arg) {
  session_t *s = arg;
  if (s->stopped || !s->helpers) return;
  forwarded_t *items = request_helpers_take(s->helpers);
  js_wakeup_t w;
  int in_js = 0;
  while (items) {
    forwarded_t *item = items;
    items = item->next;
    if (!s->stopped) {
      end_reply_run(s);
      if (!in_js++) js_wakeup_open(&s->js, &w);
      napi_value length;
      if (item->length < 0) {
        napi_create_int32(s->env, (int32_t)item->length, &length);
        session_stop(s);
        js_call(s->env, w.function, w.global, 1, length);
      } else if ((size_t)item->length <= s->size && !answered_on_node_thread(s, item->fd, item->data, (size_t)item->length)) {
        const struct fuse_in_header *in = (const void *)item->data;
        if ((size_t)item->length >= sizeof *in && answered(in->opcode) && handle_table_put(s->forwarded, in->unique, (uint64_t)item->fd)) {
          // No room to remember where its answer goes: answered here, with ENOMEM.
          fuse_answer_error(item->fd, in->unique, ENOMEM);
          free(item);
          continue;
        }
        if (s->follow_callers) caller_cpu_note(in, (size_t)item->length);
        memcpy(s->buffer, item->data, (size_t)item->length);
        napi_create_int32(s->env, (int32_t)item->length, &length);
        js_call_bool(s->env, w.function, w.global, 1, length);
      }
    }
    free(item);
  }
  end_reply_run(s);
  if (in_js) js_wakeup_close(&s->js, &w);
}

// Once random reads are being answered here (from held bytes or descriptors), helper threads
// read the requests, one per CPU (more, or one more, measured slower: 45-48k reads/s against
// 69-85k for one random reader with two vCPUs). Not before: every other request then takes
// one more hop (the helper's wake-up, then this thread's), which costs small-file creates
// about a tenth.
static void start_helpers(session_t *s) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (s->helpers || s->stopped || cpus < 2) return;
  handle_table_free(s->read_ends); // counted enough
  s->read_ends = NULL;
  // Threads inherit the affinity of the thread that starts them: the helpers must run anywhere.
  if (s->follow_callers) caller_cpu_release();
  if (!(s->forwarded = handle_table_new())) return;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(s->env, &loop) == napi_ok)
    s->helpers = request_helpers_start(loop, s->fd, s->size, (unsigned)cpus, helper_serve, s, on_forwarded);
  if (!s->helpers) {
    handle_table_free(s->forwarded);
    s->forwarded = NULL;
    return;
  }
  uv_poll_stop(&s->poll);
}

// The data and length of a Buffer of at least 8 KiB (the kernel's smallest request buffer).
static int request_buffer(napi_env env, napi_value value, char **data, size_t *size) {
  bool is_buffer;
  return napi_is_buffer(env, value, &is_buffer) == napi_ok && is_buffer && napi_get_buffer_info(env, value, (void **)data, size) == napi_ok &&
                 *size >= 8192
             ? 0
             : -1;
}

// poll(fd, buffer, callback(length | -errno) -> readOn, served() | null, followCallers) -> handle
static napi_value session_poll(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  char *buffer;
  size_t size;
  bool follow_callers;
  if (argc < 5 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || request_buffer(env, argv[1], &buffer, &size) ||
      napi_get_value_bool(env, argv[4], &follow_callers) != napi_ok) {
    napi_throw_type_error(env, NULL, "poll(fd, buffer, callback, served, followCallers): bad arguments");
    return NULL;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return throw_errno(env, errno, "fcntl");
  session_t *s = calloc(1, sizeof *s);
  if (!s) return throw_errno(env, ENOMEM, "poll");
  pthread_mutex_init(&s->lock, NULL);
  s->buffer = buffer;
  s->env = env;
  s->fd = fd;
  s->size = size;
  s->follow_callers = follow_callers;
  napi_value handle;
  CHECK(js_callback_init(&s->js, env, argv[2], "fusekit:fuse-session"));
  napi_valuetype served_type;
  CHECK(napi_typeof(env, argv[3], &served_type));
  if (served_type == napi_function) CHECK(napi_create_reference(env, argv[3], 1, &s->served));
  CHECK(napi_create_reference(env, argv[1], 1, &s->request));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int err = uv_poll_init(loop, &s->poll, fd);
  if (err) {
    js_callback_free(&s->js);
    if (s->served) napi_delete_reference(env, s->served);
    napi_delete_reference(env, s->request);
    session_free(s);
    return throw_errno(env, -err, "uv_poll_init");
  }
  s->poll.data = s;
  s->loop = loop;
  uv_timer_init(loop, &s->forget_timer);
  uv_unref((uv_handle_t *)&s->forget_timer);
  s->forget_timer.data = s;
  s->handles = 2;
  if (follow_callers) caller_cpu_prepare(loop);
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  CHECK(napi_create_external(env, s, on_finalize, NULL, &handle));
  return handle;
}

// stop(handle): stops reading (the fd stays open: the caller closes it).
static napi_value session_stop_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *s;
  CHECK(napi_get_value_external(env, argv[0], &s));
  session_stop((session_t *)s);
  return NULL;
}

// replaceBuffer(handle, buffer): later requests are read into `buffer` (as large as the first),
// for when JS keeps the current one for a request it is still answering.
static napi_value replace_buffer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  char *buffer;
  size_t size;
  if (argc < 2 || napi_get_value_external(env, argv[0], &data) != napi_ok || request_buffer(env, argv[1], &buffer, &size) ||
      size != ((session_t *)data)->size) {
    napi_throw_type_error(env, NULL, "replaceBuffer(handle, buffer): bad arguments");
    return NULL;
  }
  session_t *s = data;
  if (s->stopped) return NULL;
  napi_ref request;
  CHECK(napi_create_reference(env, argv[1], 1, &request));
  napi_delete_reference(env, s->request);
  s->request = request;
  s->buffer = buffer;
  return NULL;
}

// The arguments (handle, key) or, `with_fd`, (handle, key, fd) of a call that gives the addon a
// descriptor for a key, or takes it back: the session, or NULL after throwing `usage`.
static session_t *handle_key_fd(napi_env env, napi_callback_info info, int with_fd, int64_t *key, int32_t *fd, const char *usage) {
  size_t argc = 3;
  napi_value argv[3];
  void *data;
  *fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2u + with_fd || napi_get_value_external(env, argv[0], &data) != napi_ok ||
      napi_get_value_int64(env, argv[1], key) != napi_ok || (with_fd && (napi_get_value_int32(env, argv[2], fd) != napi_ok || *fd < 0))) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return data;
}

// serveDescriptor(handle, fh, fd): from now on READ and WRITE of `fh` are pread/pwrite on `fd`,
// answered here. forgetDescriptor(handle, fh) ends it (before `fd` is closed).
static napi_value descriptor_call(napi_env env, napi_callback_info info, int serve) {
  int64_t fh;
  int32_t fd;
  session_t *s = handle_key_fd(env, info, serve, &fh, &fd, "serveDescriptor(handle, fh, fd) / forgetDescriptor(handle, fh): bad arguments");
  if (!s || s->stopped) return NULL;
  uint64_t old;
  if (!serve) {
    if (s->read_ends) handle_table_remove(s->read_ends, (uint64_t)fh, &old);
    if (!s->descriptors) return NULL;
    lock_tables(s);
    handle_table_remove(s->descriptors, (uint64_t)fh, &old);
    unlock_tables(s);
    return NULL;
  }
  if (!s->descriptors) {
    handle_table_t *table = NULL;
    s->reply = malloc(s->size);
    if (s->reply) {
      table = handle_table_new();
      s->read_ends = handle_table_new(); // without it, reads are not counted
    }
    if (!table) {
      free(s->reply);
      s->reply = NULL;
      return throw_errno(env, ENOMEM, "serveDescriptor");
    }
    __atomic_store_n(&s->descriptors, table, __ATOMIC_RELEASE);
  }
  lock_tables(s);
  int err = handle_table_put(s->descriptors, (uint64_t)fh, (uint64_t)fd);
  unlock_tables(s);
  if (err) return throw_errno(env, -err, "serveDescriptor");
  return NULL;
}

static napi_value serve_descriptor(napi_env env, napi_callback_info info) { return descriptor_call(env, info, 1); }
static napi_value forget_descriptor(napi_env env, napi_callback_info info) { return descriptor_call(env, info, 0); }

// holdResident(handle, fh, offset, buffer, fileSize): random reads of `fh` within the buffer's
// bytes at `offset` are answered from it from now on (resident-reads.c). releaseResident(handle,
// fh, offset) ends it for those bytes, forgetResident(handle, fh) for all of the handle's.
static napi_value resident_call(napi_env env, napi_callback_info info, int arity) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  int64_t fh, offset = 0;
  double file_size = 0;
  if (argc < (size_t)arity || napi_get_value_external(env, argv[0], &data) != napi_ok || napi_get_value_int64(env, argv[1], &fh) != napi_ok ||
      (arity > 2 && (napi_get_value_int64(env, argv[2], &offset) != napi_ok || offset < 0)) ||
      (arity > 4 && (napi_get_value_double(env, argv[4], &file_size) != napi_ok || !(file_size >= 0)))) {
    napi_throw_type_error(env, NULL, "holdResident(handle, fh, offset, buffer, fileSize) / releaseResident(handle, fh, offset) / forgetResident(handle, fh): bad arguments");
    return NULL;
  }
  session_t *s = data;
  if (s->stopped) return NULL;
  if (arity == 2 || arity == 3) {
    if (!s->resident) return NULL;
    lock_tables(s);
    if (arity == 2) resident_forget(s->resident, (uint64_t)fh);
    else resident_release(s->resident, (uint64_t)fh, (uint64_t)offset);
    unlock_tables(s);
    return NULL;
  }
  if (!resident_made(s, env)) return throw_errno(env, ENOMEM, "holdResident");
  lock_tables(s);
  int err = resident_hold(s->resident, (uint64_t)fh, (uint64_t)offset, argv[3], (uint64_t)file_size);
  unlock_tables(s);
  if (err) return err == -EINVAL ? (napi_throw_type_error(env, NULL, "holdResident: the bytes must be a Buffer"), NULL) : throw_errno(env, -err, "holdResident");
  return NULL;
}

// holdResidentFile(handle, fh, offset, length, fd, fileSize): random reads of `fh` within
// [offset, offset + length) are answered by reading `fd` at the same offsets, until released.
static napi_value hold_resident_file(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  int64_t fh, offset, length;
  int32_t fd;
  double file_size;
  if (argc < 6 || napi_get_value_external(env, argv[0], &data) != napi_ok || napi_get_value_int64(env, argv[1], &fh) != napi_ok ||
      napi_get_value_int64(env, argv[2], &offset) != napi_ok || offset < 0 || napi_get_value_int64(env, argv[3], &length) != napi_ok || length < 0 ||
      napi_get_value_int32(env, argv[4], &fd) != napi_ok || fd < 0 || napi_get_value_double(env, argv[5], &file_size) != napi_ok || !(file_size >= 0)) {
    napi_throw_type_error(env, NULL, "holdResidentFile(handle, fh, offset, length, fd, fileSize): bad arguments");
    return NULL;
  }
  session_t *s = data;
  if (s->stopped) return NULL;
  if (!resident_made(s, env)) return throw_errno(env, ENOMEM, "holdResidentFile");
  lock_tables(s);
  int err = resident_hold_file(s->resident, (uint64_t)fh, (uint64_t)offset, (uint64_t)length, fd, (uint64_t)file_size);
  unlock_tables(s);
  return err ? throw_errno(env, -err, "holdResidentFile") : NULL;
}

// markListingEnd(handle, nodeid, fh, offset, whole?): the listing of `nodeid` read through `fh`
// ends at `offset`: a READDIR there is answered here (listing-ends.h). `whole`: the READDIRPLUS
// entries of the reply that listed it all from offset 0, kept to answer the next such read
// (listing-replays.h, if keepListings asked).
static napi_value mark_listing_end(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  int64_t nodeid, fh, offset;
  char *whole = NULL;
  size_t whole_length = 0;
  napi_valuetype whole_type = napi_undefined;
  if (argc >= 5) napi_typeof(env, argv[4], &whole_type);
  if (argc < 4 || napi_get_value_external(env, argv[0], &data) != napi_ok || napi_get_value_int64(env, argv[1], &nodeid) != napi_ok ||
      napi_get_value_int64(env, argv[2], &fh) != napi_ok || napi_get_value_int64(env, argv[3], &offset) != napi_ok || offset < 0 ||
      (whole_type != napi_undefined && napi_get_buffer_info(env, argv[4], (void **)&whole, &whole_length) != napi_ok)) {
    napi_throw_type_error(env, NULL, "markListingEnd(handle, nodeid, fh, offset, whole?): bad arguments");
    return NULL;
  }
  session_t *s = data;
  if (s->stopped) return NULL;
  listing_ends_mark(&s->ends, (uint64_t)nodeid, (uint64_t)fh, (uint64_t)offset);
  if (whole && s->replays.keep_ms) listing_replays_keep(&s->replays, (uint64_t)nodeid, whole, whole_length, (uint64_t)offset, monotonic_ms());
  return NULL;
}

// keepListings(handle, withinMs): whole listings marked from now on are kept to answer the next
// READDIRPLUS from offset 0 of their directory for `withinMs` (listing-replays.h).
static napi_value keep_listings(napi_env env, napi_callback_info info) {
  const char *usage = "keepListings(handle, withinMs): bad arguments";
  int64_t within;
  int32_t no_fd;
  session_t *s = handle_key_fd(env, info, 0, &within, &no_fd, usage);
  if (!s) return NULL;
  if (within < 0) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (!s->stopped) s->replays.keep_ms = (uint64_t)within;
  return NULL;
}

// removeInDirectories(handle, log): UNLINK and RMDIR in directories offered from now on are
// answered here, each name removed written to the Buffer `log` (directory-removals.h).
static napi_value remove_in_directories(napi_env env, napi_callback_info info) {
  void *data;
  void *log;
  size_t size;
  napi_value buffer;
  if (external_and_buffer(env, info, &data, &log, &size, &buffer) || size < REMOVAL_LOG_HEADER + 256 || size > UINT32_MAX) {
    napi_throw_type_error(env, NULL, "removeInDirectories(handle, log): bad arguments");
    return NULL;
  }
  session_t *s = data;
  if (s->stopped || s->removals) return NULL;
  if (!(s->removals = directory_removals_new(log, size))) return throw_errno(env, ENOMEM, "removeInDirectories");
  CHECK(napi_create_reference(env, buffer, 1, &s->removal_log));
  return NULL;
}

// logForgets(handle, log, onLogged): FORGET and BATCH_FORGET are written to the Buffer `log` from
// now on (forget-log.h), onLogged() called when JavaScript is to read it though no request came
// (FORGETS_READ_WITHIN_MS); JavaScript reads it before each request it is handed and in onLogged.
static napi_value log_forgets(napi_env env, napi_callback_info info) {
  void *data;
  void *log;
  size_t size = 0;
  size_t argc = 3;
  napi_value argv[3];
  napi_valuetype callback_type = napi_undefined;
  if (!external_and_buffer(env, info, &data, &log, &size, NULL) && napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 3)
    napi_typeof(env, argv[2], &callback_type);
  if (callback_type != napi_function || size < FORGET_LOG_HEADER + FORGET_RECORD || size > UINT32_MAX) {
    napi_throw_type_error(env, NULL, "logForgets(handle, log, onLogged): bad arguments");
    return NULL;
  }
  session_t *s = data;
  if (s->stopped || s->forget_log) return NULL;
  CHECK(napi_create_reference(env, argv[1], 1, &s->forget_log_buffer));
  CHECK(napi_create_reference(env, argv[2], 1, &s->forgets_logged));
  forget_log_init(log, size);
  s->forget_log_size = size;
  s->forget_log = log;
  return NULL;
}

// offerDirectory(handle, nodeid, fd) / withdrawDirectory(handle, nodeid): names in `nodeid` are
// removed here by unlinkat on `fd` (kept open by the caller until withdrawn), or no longer.
static napi_value directory_call(napi_env env, napi_callback_info info, int offer) {
  int64_t nodeid;
  int32_t fd;
  session_t *s = handle_key_fd(env, info, offer, &nodeid, &fd, "offerDirectory(handle, nodeid, fd) / withdrawDirectory(handle, nodeid): bad arguments");
  if (!s || s->stopped || !s->removals) return NULL;
  if (!offer) directory_removals_withdraw(s->removals, (uint64_t)nodeid);
  else if (directory_removals_offer(s->removals, (uint64_t)nodeid, fd)) return throw_errno(env, ENOMEM, "offerDirectory");
  return NULL;
}

// showDirectoryAttributes(handle, attrSeconds, attrNanoseconds, uid, gid, umask): the GETATTR of
// an offered directory is answered here from now on (directory-removals.h); uid, gid -1: the
// source's.
static napi_value show_directory_attributes(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  int64_t seconds, nanoseconds, uid, gid, umask;
  if (argc < 6 || napi_get_value_external(env, argv[0], &data) != napi_ok || napi_get_value_int64(env, argv[1], &seconds) != napi_ok ||
      napi_get_value_int64(env, argv[2], &nanoseconds) != napi_ok || napi_get_value_int64(env, argv[3], &uid) != napi_ok ||
      napi_get_value_int64(env, argv[4], &gid) != napi_ok || napi_get_value_int64(env, argv[5], &umask) != napi_ok || seconds < 0 ||
      nanoseconds < 0 || nanoseconds > 999999999 || uid < -1 || uid > UINT32_MAX || gid < -1 || gid > UINT32_MAX || umask < 0 || umask > 07777) {
    napi_throw_type_error(env, NULL, "showDirectoryAttributes(handle, attrSeconds, attrNanoseconds, uid, gid, umask): bad arguments");
    return NULL;
  }
  session_t *s = data;
  if (s->stopped || !s->removals) return NULL;
  attribute_view_t view = {.attr_valid = (uint64_t)seconds, .attr_valid_nsec = (uint32_t)nanoseconds, .uid = uid, .gid = gid, .umask = (uint32_t)umask};
  directory_removals_show(s->removals, &view);
  return NULL;
}

static napi_value offer_directory(napi_env env, napi_callback_info info) { return directory_call(env, info, 1); }
static napi_value withdraw_directory(napi_env env, napi_callback_info info) { return directory_call(env, info, 0); }

static napi_value hold_resident(napi_env env, napi_callback_info info) { return resident_call(env, info, 5); }
static napi_value release_resident(napi_env env, napi_callback_info info) { return resident_call(env, info, 3); }
static napi_value forget_resident(napi_env env, napi_callback_info info) { return resident_call(env, info, 2); }

// The most pieces one answer is written from (replyPieces, the addon's maxReplyPieces): the
// callers join more into one buffer first. A READ of 1 MiB in 64 KiB pieces is 17.
#define MAX_REPLY_PIECES 64

// Writes one answer from `count` pieces (the first holding fuse_out_header) to the session's
// /dev/fuse descriptor, or to the clone a helper thread read its request from: 0 | -errno.
// `busy`: this thread has work to do right after it (a listing read ahead), so it is written at
// the thread's own policy, never SCHED_IDLE: the caller then wakes on another vCPU and takes the
// answer in meanwhile, instead of running first where this thread waits.
static int write_answer(session_t *s, const struct iovec *pieces, int count, int busy) {
  uint64_t fd = (uint64_t)s->fd;
  const struct fuse_out_header *out = pieces[0].iov_base;
  if (s->forwarded && pieces[0].iov_len >= sizeof *out) handle_table_remove(s->forwarded, out->unique, &fd);
  ssize_t done;
  if (s->follow_callers && !busy) caller_cpu_reply_begin();
  do done = count == 1 ? write((int)fd, pieces[0].iov_base, pieces[0].iov_len) : writev((int)fd, pieces, count);
  while (done < 0 && errno == EINTR);
  if (s->follow_callers) caller_cpu_reply_end();
  s->replies++;
  return done < 0 ? -errno : 0;
}

// Writes the one answer reply(handle, buffer) and replyBusy(handle, buffer) are given.
static napi_value reply_with(napi_env env, napi_callback_info info, int busy, const char *usage) {
  void *handle;
  struct iovec piece;
  if (external_and_buffer(env, info, &handle, &piece.iov_base, &piece.iov_len, NULL)) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  napi_value result;
  CHECK(napi_create_int32(env, write_answer(handle, &piece, 1, busy), &result));
  return result;
}

// reply(handle, buffer) -> 0 | -errno: writes one answer (write_answer). The same write
// fs.writeSync makes, without its argument checks and request object: a third of its cost was
// not the write.
static napi_value write_reply(napi_env env, napi_callback_info info) {
  return reply_with(env, info, 0, "reply(handle, buffer): bad arguments");
}

// replyBusy(handle, buffer) -> 0 | -errno: as reply, for an answer this thread has work to do
// right after (write_answer's `busy`).
static napi_value write_reply_busy(napi_env env, napi_callback_info info) {
  return reply_with(env, info, 1, "replyBusy(handle, buffer): bad arguments");
}

// replyPieces(handle, buffers) -> 0 | -errno: writes one answer made of the buffers in order
// (write_answer with writev): a READ's bytes go from the backend's own memory to the kernel,
// with no copy into a reply buffer first.
static napi_value write_reply_pieces(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *handle;
  uint32_t count = 0;
  bool is_array = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_external(env, argv[0], &handle) != napi_ok || napi_is_array(env, argv[1], &is_array) != napi_ok ||
      !is_array || napi_get_array_length(env, argv[1], &count) != napi_ok || count == 0 || count > MAX_REPLY_PIECES) {
    napi_throw_type_error(env, NULL, "replyPieces(handle, buffers): bad arguments");
    return NULL;
  }
  struct iovec pieces[MAX_REPLY_PIECES];
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    bool is_buffer = false;
    if (napi_get_element(env, argv[1], i, &element) != napi_ok || napi_is_buffer(env, element, &is_buffer) != napi_ok || !is_buffer ||
        napi_get_buffer_info(env, element, &pieces[i].iov_base, &pieces[i].iov_len) != napi_ok) {
      napi_throw_type_error(env, NULL, "replyPieces(handle, buffers): bad arguments");
      return NULL;
    }
  }
  napi_value result;
  CHECK(napi_create_int32(env, write_answer(handle, pieces, (int)count, 0), &result));
  return result;
}

// adjustExternalMemory(delta): tells V8 of memory kept alive by JavaScript objects that it does
// not count itself, or (negative) of memory it counts that it need not collect for.
static napi_value adjust_external_memory(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t delta, total;
  if (argc < 1 || napi_get_value_int64(env, argv[0], &delta) != napi_ok) {
    napi_throw_type_error(env, NULL, "adjustExternalMemory(delta): bad arguments");
    return NULL;
  }
  CHECK(napi_adjust_external_memory(env, delta, &total));
  napi_value result;
  CHECK(napi_create_double(env, (double)total, &result));
  return result;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

// Applies `advice` to the pages of the Buffer argument: every page it touches (outward), or only
// the pages wholly inside it (for advice that loses their bytes). 0 | -errno.
static napi_value advise_pages(napi_env env, napi_callback_info info, const char *usage, int advice, int outward) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  size_t length;
  if (argc < 1 || napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), from = (uintptr_t)data, to = from + length;
  const uintptr_t start = outward ? from & ~(page - 1) : (from + page - 1) & ~(page - 1);
  const uintptr_t end = outward ? (to + page - 1) & ~(page - 1) : to & ~(page - 1);
  int rc = end <= start || madvise((void *)start, end - start, advice) == 0 ? 0 : -errno;
  napi_value result;
  CHECK(napi_create_int32(env, rc, &result));
  return result;
}

// populate(buffer) -> 0 | -errno: faults in every page of `buffer` for writing in one call
// (MADV_POPULATE_WRITE, Linux 5.14+) instead of one page fault per 4 KiB as it is first written.
static napi_value populate(napi_env env, napi_callback_info info) {
  return advise_pages(env, info, "populate(buffer): bad arguments", MADV_POPULATE_WRITE, 1);
}

// dropPages(buffer) -> 0 | -errno: gives the pages wholly inside `buffer` back to the system
// (MADV_DONTNEED): they read as zeros from then on and count in the RSS again once written.
static napi_value drop_pages(napi_env env, napi_callback_info info) {
  return advise_pages(env, info, "dropPages(buffer): bad arguments", MADV_DONTNEED, 0);
}

#ifndef FUSE_DEV_IOC_BACKING_OPEN
// Linux 6.9's UAPI, for system headers older than that (the kernel answers ENOTTY if it lacks it).
struct fuse_backing_map {
  int32_t fd;
  uint32_t flags;
  uint64_t padding;
};
#define FUSE_DEV_IOC_BACKING_OPEN _IOW(FUSE_DEV_IOC_MAGIC, 1, struct fuse_backing_map)
#define FUSE_DEV_IOC_BACKING_CLOSE _IOW(FUSE_DEV_IOC_MAGIC, 2, uint32_t)
#endif

// backingOpen(devFd, fd) -> id | -errno: registers a real file for FUSE passthrough (Linux 6.9+;
// needs CAP_SYS_ADMIN). backingClose(devFd, id) drops the registration.
static napi_value backing_call(napi_env env, napi_callback_info info, int open) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t dev, value;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &dev) != napi_ok || napi_get_value_int32(env, argv[1], &value) != napi_ok) {
    napi_throw_type_error(env, NULL, "backingOpen/backingClose(devFd, value): bad arguments");
    return NULL;
  }
  int rc;
  if (open) {
    struct fuse_backing_map map = {.fd = value};
    rc = ioctl(dev, FUSE_DEV_IOC_BACKING_OPEN, &map);
  } else {
    uint32_t id = (uint32_t)value;
    rc = ioctl(dev, FUSE_DEV_IOC_BACKING_CLOSE, &id);
  }
  if (rc < 0) rc = -errno;
  napi_value result;
  CHECK(napi_create_int32(env, rc, &result));
  return result;
}

static napi_value backing_open(napi_env env, napi_callback_info info) { return backing_call(env, info, 1); }
static napi_value backing_close(napi_env env, napi_callback_info info) { return backing_call(env, info, 0); }

static napi_value init(napi_env env, napi_value exports) {
  napi_value max_reply_pieces;
  CHECK(napi_create_uint32(env, MAX_REPLY_PIECES, &max_reply_pieces));
  napi_property_descriptor props[] = {
      {"maxReplyPieces", NULL, NULL, NULL, NULL, max_reply_pieces, napi_enumerable, NULL},
      {"unmount", NULL, kernel_unmount, NULL, NULL, NULL, napi_default_method, NULL},
      {"kernelMount", NULL, kernel_mount, NULL, NULL, NULL, napi_default_method, NULL},
      {"fusermountMount", NULL, fusermount_mount, NULL, NULL, NULL, napi_default_method, NULL},
      {"releaseHelper", NULL, release_helper, NULL, NULL, NULL, napi_default_method, NULL},
      {"poll", NULL, session_poll, NULL, NULL, NULL, napi_default_method, NULL},
      {"stop", NULL, session_stop_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"replaceBuffer", NULL, replace_buffer, NULL, NULL, NULL, napi_default_method, NULL},
      {"reply", NULL, write_reply, NULL, NULL, NULL, napi_default_method, NULL},
      {"replyBusy", NULL, write_reply_busy, NULL, NULL, NULL, napi_default_method, NULL},
      {"replyPieces", NULL, write_reply_pieces, NULL, NULL, NULL, napi_default_method, NULL},
      {"adjustExternalMemory", NULL, adjust_external_memory, NULL, NULL, NULL, napi_default_method, NULL},
      {"populate", NULL, populate, NULL, NULL, NULL, napi_default_method, NULL},
      {"dropPages", NULL, drop_pages, NULL, NULL, NULL, napi_default_method, NULL},
      {"backingOpen", NULL, backing_open, NULL, NULL, NULL, napi_default_method, NULL},
      {"backingClose", NULL, backing_close, NULL, NULL, NULL, napi_default_method, NULL},
      {"serveDescriptor", NULL, serve_descriptor, NULL, NULL, NULL, napi_default_method, NULL},
      {"forgetDescriptor", NULL, forget_descriptor, NULL, NULL, NULL, napi_default_method, NULL},
      {"holdResident", NULL, hold_resident, NULL, NULL, NULL, napi_default_method, NULL},
      {"holdResidentFile", NULL, hold_resident_file, NULL, NULL, NULL, napi_default_method, NULL},
      {"releaseResident", NULL, release_resident, NULL, NULL, NULL, napi_default_method, NULL},
      {"forgetResident", NULL, forget_resident, NULL, NULL, NULL, napi_default_method, NULL},
      {"markListingEnd", NULL, mark_listing_end, NULL, NULL, NULL, napi_default_method, NULL},
      {"keepListings", NULL, keep_listings, NULL, NULL, NULL, napi_default_method, NULL},
      {"logForgets", NULL, log_forgets, NULL, NULL, NULL, napi_default_method, NULL},
      {"removeInDirectories", NULL, remove_in_directories, NULL, NULL, NULL, napi_default_method, NULL},
      {"offerDirectory", NULL, offer_directory, NULL, NULL, NULL, napi_default_method, NULL},
      {"showDirectoryAttributes", NULL, show_directory_attributes, NULL, NULL, NULL, napi_default_method, NULL},
      {"withdrawDirectory", NULL, withdraw_directory, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  fuse_uring_define(env, exports);
  return exports;
}

NAPI_MODULE(fuse_session, init)
