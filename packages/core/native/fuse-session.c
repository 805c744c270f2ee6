// The kernel side of a FUSE session for the low-level driver: reading
// requests on Node's own thread (uv_poll), so a request costs one wake-up (until random reads of
// held bytes come fast: then helper threads read, request-helpers.c). The protocol itself
// is decoded and answered in JavaScript (src/lowlevel/), except reads and writes on handles
// with a real descriptor behind them (descriptor-io.c) and random reads of bytes a backend holds in
// memory (resident-reads.c). Requests are read into one Buffer that JavaScript owns and reads in
// place: no allocation per request.
#define _GNU_SOURCE
#include "fuse-session.h"
#include "fuse-uring.h"
#include "js-callback.h"
#include "napi-util.h"
#include "kernel-mount.h"
#include "request-helpers.h"
#include "resident-reads.h"
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fuse.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <uv.h>

typedef struct {
  uv_poll_t poll;
  napi_env env;
  js_callback_t js;
  napi_ref served; // told after a batch in which requests were answered here (NULL: nobody asked)
  napi_ref request; // the JS Buffer `buffer` points into
  int fd;
  int stopped;
  int closed;   // uv is done with the handle
  int orphaned; // JS dropped its handle object
  size_t size;
  char *buffer; // `size` bytes, owned by JS (request)
  handle_table_t *descriptors; // created with the first handle served here
  char *reply;                 // `size` bytes, for the answers of descriptor-io
  resident_reads_t *resident;  // created with the first bytes held
  unsigned empty_read_ons;     // reads after an answer given here that found nothing, in a row (capped)
  unsigned answered_here;      // answers given here since reading on stopped paying
  unsigned resident_answers;   // random reads answered from held bytes, up to HELPERS_AFTER
  request_helpers_t *helpers;  // reading instead of this thread once random reads of held bytes come
  handle_table_t *forwarded;   // unique -> the clone a helper read that request from, until answered
} session_t;

// After this many reads on that found nothing in a row, an answer given here goes back to epoll
// (one caller: its next request cannot be there yet); one answer in READ_ON_PROBE reads on
// anyway, to see whether other callers came.
#define EMPTY_READ_ONS 4
#define READ_ON_PROBE 32
// Random reads answered from held bytes before helper threads take over the reading.
#define HELPERS_AFTER 256

handle_table_t *fuse_session_descriptors(const void *session) {
  const session_t *s = session;
  return s->stopped ? NULL : s->descriptors;
}

static void on_closed(uv_handle_t *handle) {
  session_t *s = (session_t *)handle->data;
  s->buffer = NULL;
  free(s->reply);
  s->reply = NULL;
  handle_table_free(s->descriptors);
  s->descriptors = NULL;
  s->closed = 1;
  if (s->orphaned) free(s);
}

static void on_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  session_t *s = (session_t *)data;
  if (s->closed) free(s);
  else s->orphaned = 1;
}

static void session_stop(session_t *s) {
  if (s->stopped) return;
  s->stopped = 1;
  uv_poll_stop(&s->poll);
  if (s->helpers) request_helpers_stop(s->helpers);
  s->helpers = NULL;
  handle_table_free(s->forwarded);
  s->forwarded = NULL;
  js_callback_free(&s->js);
  if (s->served) napi_delete_reference(s->env, s->served);
  napi_delete_reference(s->env, s->request);
  resident_reads_free(s->resident);
  s->resident = NULL;
  uv_close((uv_handle_t *)&s->poll, on_closed);
}

static void start_helpers(session_t *s);

// The held ranges are this thread's alone until helper threads run; from then on they are
// changed and read under the helpers' lock.
static void lock_resident(session_t *s) {
  if (s->helpers) request_helpers_lock(s->helpers);
}
static void unlock_resident(session_t *s) {
  if (s->helpers) request_helpers_unlock(s->helpers);
}

// A resident read answered on this thread (helpers may have started while it was still reading).
static int serve_resident_here(session_t *s, size_t length) {
  lock_resident(s);
  int answered = resident_serve(s->resident, s->fd, s->buffer, length);
  unlock_resident(s);
  return answered;
}

// Reads the requests that are ready: one callback per request with its length in the shared
// buffer, and one with -errno when the kernel ended the session (unmounted). Requests answered
// here (descriptor-io, resident-reads) call no JavaScript but `served`, once per batch, if asked.
// Reading stops when the callback returns false (it does after a reply): that caller's next
// request cannot be there yet (a read that would only say EAGAIN), and epoll reports any other.
static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  session_t *s = (session_t *)handle->data;
  napi_env env = s->env;
  js_wakeup_t w;
  int in_js = 0; // the callback scope is opened for the first request that needs JavaScript
  int served = 0;
  int reading_on = 0; // this read follows an answer given here
  while (!s->stopped) {
    ssize_t n = read(s->fd, s->buffer, s->size);
    if (n < 0) {
      int err = errno;
      if (err == EINTR || err == ENOENT) continue; // ENOENT: the request was interrupted
      if (err == EAGAIN) {
        if (reading_on && s->empty_read_ons < EMPTY_READ_ONS) s->empty_read_ons++;
        break;
      }
      if (!in_js++) js_wakeup_open(&s->js, &w);
      napi_value end;
      napi_create_int32(env, -err, &end);
      session_stop(s);
      js_call(env, w.function, w.global, 1, end);
      break;
    }
    if (reading_on) s->empty_read_ons = 0; // it found one: other callers are there
    reading_on = 0;
    int resident = s->resident && serve_resident_here(s, (size_t)n);
    if (resident && s->resident_answers < HELPERS_AFTER && ++s->resident_answers == HELPERS_AFTER) start_helpers(s);
    if (resident ||
        (s->descriptors && descriptor_io_serve(s->descriptors, s->fd, s->buffer, (size_t)n, s->reply, s->size))) {
      // Read on while that finds requests: other callers' may be queued (4 fio jobs: 136k IOPS
      // reading on, 111k going back to epoll after each); one caller's next cannot be.
      served++;
      reading_on = s->empty_read_ons < EMPTY_READ_ONS || ++s->answered_here % READ_ON_PROBE == 0;
      if (reading_on) continue;
      break;
    }
    if (!in_js++) js_wakeup_open(&s->js, &w);
    napi_value length;
    if (napi_create_int32(env, (int32_t)n, &length) != napi_ok || !js_call_bool(env, w.function, w.global, 1, length)) break;
  }
  if (served && !s->stopped && s->served) {
    if (!in_js++) js_wakeup_open(&s->js, &w);
    napi_value on_served;
    napi_get_reference_value(env, s->served, &on_served);
    js_call(env, on_served, w.global, 0, NULL);
  }
  if (in_js) js_wakeup_close(&s->js, &w);
}

// Helper threads answer resident reads themselves (one at a time: the resident tables are not
// shared otherwise) and forward the rest here.
static int helper_serve(void *arg, int fd, const char *request, size_t length) {
  session_t *s = arg;
  return s->resident && resident_serve(s->resident, fd, request, length);
}

// Whether the kernel waits for an answer to a request of this kind (only those are remembered).
static int answered(uint32_t opcode) {
  return opcode != FUSE_FORGET && opcode != FUSE_BATCH_FORGET && opcode != FUSE_INTERRUPT && opcode != FUSE_NOTIFY_REPLY;
}

// Requests the helpers forwarded, handed to JavaScript as if read here; each one's answer goes to
// the clone it came from (helper_reply).
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
      if (!in_js++) js_wakeup_open(&s->js, &w);
      napi_value length;
      if (item->length < 0) {
        napi_create_int32(s->env, (int32_t)item->length, &length);
        session_stop(s);
        js_call(s->env, w.function, w.global, 1, length);
      } else if ((size_t)item->length <= s->size) {
        const struct fuse_in_header *in = (const void *)item->data;
        if ((size_t)item->length >= sizeof *in && answered(in->opcode) && handle_table_put(s->forwarded, in->unique, (uint64_t)item->fd)) {
          // No room to remember where its answer goes: answered here, with ENOMEM.
          fuse_answer_error(item->fd, in->unique, ENOMEM);
          free(item);
          continue;
        }
        memcpy(s->buffer, item->data, (size_t)item->length);
        napi_create_int32(s->env, (int32_t)item->length, &length);
        js_call_bool(s->env, w.function, w.global, 1, length);
      }
    }
    free(item);
  }
  if (in_js) js_wakeup_close(&s->js, &w);
}

// Once random reads are being answered from held bytes, helper threads read the requests, one
// per CPU (more, or one more, measured slower: 45-48k reads/s against 69-85k for one random
// reader with two vCPUs), unless reads of real descriptors are answered here too (those stay on
// this thread). Not before: every other request then takes one more hop (the helper's wake-up,
// then this thread's), which costs small-file creates about a tenth.
static void start_helpers(session_t *s) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (s->helpers || s->descriptors || s->stopped || cpus < 2) return;
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

// poll(fd, buffer, callback(length | -errno) -> readOn, served() | null) -> handle
static napi_value session_poll(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  char *buffer;
  size_t size;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || request_buffer(env, argv[1], &buffer, &size)) {
    napi_throw_type_error(env, NULL, "poll(fd, buffer, callback, served): bad arguments");
    return NULL;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return throw_errno(env, errno, "fcntl");
  session_t *s = calloc(1, sizeof *s);
  if (!s) return throw_errno(env, ENOMEM, "poll");
  s->buffer = buffer;
  s->env = env;
  s->fd = fd;
  s->size = size;
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
    free(s);
    return throw_errno(env, -err, "uv_poll_init");
  }
  s->poll.data = s;
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

// serveDescriptor(handle, fh, fd): from now on READ and WRITE of `fh` are pread/pwrite on `fd`,
// answered here. forgetDescriptor(handle, fh) ends it (before `fd` is closed).
static napi_value descriptor_call(napi_env env, napi_callback_info info, int serve) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  int64_t fh;
  int32_t fd = -1;
  if (argc < 2u + serve || napi_get_value_external(env, argv[0], &data) != napi_ok || napi_get_value_int64(env, argv[1], &fh) != napi_ok ||
      (serve && napi_get_value_int32(env, argv[2], &fd) != napi_ok)) {
    napi_throw_type_error(env, NULL, "serveDescriptor(handle, fh, fd) / forgetDescriptor(handle, fh): bad arguments");
    return NULL;
  }
  session_t *s = data;
  if (s->stopped) return NULL;
  if (!serve) {
    uint64_t old_fd;
    if (s->descriptors) handle_table_remove(s->descriptors, (uint64_t)fh, &old_fd);
    return NULL;
  }
  if (!s->descriptors) {
    s->reply = malloc(s->size);
    s->descriptors = s->reply ? handle_table_new() : NULL;
    if (!s->descriptors) {
      free(s->reply);
      s->reply = NULL;
      return throw_errno(env, ENOMEM, "serveDescriptor");
    }
  }
  int err = handle_table_put(s->descriptors, (uint64_t)fh, (uint64_t)fd);
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
    lock_resident(s);
    if (arity == 2) resident_forget(s->resident, (uint64_t)fh);
    else resident_release(s->resident, (uint64_t)fh, (uint64_t)offset);
    unlock_resident(s);
    return NULL;
  }
  if (!s->resident && !(s->resident = resident_reads_new(env))) return throw_errno(env, ENOMEM, "holdResident");
  lock_resident(s);
  int err = resident_hold(s->resident, (uint64_t)fh, (uint64_t)offset, argv[3], (uint64_t)file_size);
  unlock_resident(s);
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
  if (!s->resident && !(s->resident = resident_reads_new(env))) return throw_errno(env, ENOMEM, "holdResidentFile");
  lock_resident(s);
  int err = resident_hold_file(s->resident, (uint64_t)fh, (uint64_t)offset, (uint64_t)length, fd, (uint64_t)file_size);
  unlock_resident(s);
  return err ? throw_errno(env, -err, "holdResidentFile") : NULL;
}

static napi_value hold_resident(napi_env env, napi_callback_info info) { return resident_call(env, info, 5); }
static napi_value release_resident(napi_env env, napi_callback_info info) { return resident_call(env, info, 3); }
static napi_value forget_resident(napi_env env, napi_callback_info info) { return resident_call(env, info, 2); }

// reply(devFd, buffer) -> 0 | -errno: writes one answer to /dev/fuse. The same write fs.writeSync
// makes, without its argument checks and request object: a third of its cost was not the write.
static napi_value write_reply(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t dev;
  void *data;
  size_t length;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &dev) != napi_ok || napi_get_buffer_info(env, argv[1], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "reply(devFd, buffer): bad arguments");
    return NULL;
  }
  ssize_t done;
  do done = write(dev, data, length);
  while (done < 0 && errno == EINTR);
  napi_value result;
  CHECK(napi_create_int32(env, done < 0 ? -errno : 0, &result));
  return result;
}

// helperReply(handle, buffer) -> bool: writes the answer to a request a helper thread read to the
// clone it came from; false (nothing written) for one read on the session's own descriptor.
static napi_value helper_reply(napi_env env, napi_callback_info info) {
  void *handle;
  void *data;
  size_t length;
  if (external_and_buffer(env, info, &handle, &data, &length)) {
    napi_throw_type_error(env, NULL, "helperReply(handle, buffer): bad arguments");
    return NULL;
  }
  session_t *s = handle;
  uint64_t fd;
  const struct fuse_out_header *out = data;
  bool taken = s->forwarded && length >= sizeof *out && handle_table_remove(s->forwarded, out->unique, &fd);
  if (taken) {
    while (write((int)fd, data, length) < 0 && errno == EINTR) {
    }
  }
  napi_value result;
  CHECK(napi_get_boolean(env, taken, &result));
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

// populate(buffer) -> 0 | -errno: faults in every page of `buffer` for writing in one call
// (MADV_POPULATE_WRITE, Linux 5.14+) instead of one page fault per 4 KiB as it is first written.
static napi_value populate(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  size_t length;
  if (argc < 1 || napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "populate(buffer): bad arguments");
    return NULL;
  }
  const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), start = (uintptr_t)data & ~(page - 1);
  const size_t span = ((uintptr_t)data + length - start + page - 1) & ~(page - 1);
  int rc = length == 0 || madvise((void *)start, span, MADV_POPULATE_WRITE) == 0 ? 0 : -errno;
  napi_value result;
  CHECK(napi_create_int32(env, rc, &result));
  return result;
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
  napi_property_descriptor props[] = {
      {"unmount", NULL, kernel_unmount, NULL, NULL, NULL, napi_default_method, NULL},
      {"kernelMount", NULL, kernel_mount, NULL, NULL, NULL, napi_default_method, NULL},
      {"fusermountMount", NULL, fusermount_mount, NULL, NULL, NULL, napi_default_method, NULL},
      {"releaseHelper", NULL, release_helper, NULL, NULL, NULL, napi_default_method, NULL},
      {"poll", NULL, session_poll, NULL, NULL, NULL, napi_default_method, NULL},
      {"stop", NULL, session_stop_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"replaceBuffer", NULL, replace_buffer, NULL, NULL, NULL, napi_default_method, NULL},
      {"reply", NULL, write_reply, NULL, NULL, NULL, napi_default_method, NULL},
      {"helperReply", NULL, helper_reply, NULL, NULL, NULL, napi_default_method, NULL},
      {"adjustExternalMemory", NULL, adjust_external_memory, NULL, NULL, NULL, napi_default_method, NULL},
      {"populate", NULL, populate, NULL, NULL, NULL, napi_default_method, NULL},
      {"backingOpen", NULL, backing_open, NULL, NULL, NULL, napi_default_method, NULL},
      {"backingClose", NULL, backing_close, NULL, NULL, NULL, napi_default_method, NULL},
      {"serveDescriptor", NULL, serve_descriptor, NULL, NULL, NULL, napi_default_method, NULL},
      {"forgetDescriptor", NULL, forget_descriptor, NULL, NULL, NULL, napi_default_method, NULL},
      {"holdResident", NULL, hold_resident, NULL, NULL, NULL, napi_default_method, NULL},
      {"holdResidentFile", NULL, hold_resident_file, NULL, NULL, NULL, napi_default_method, NULL},
      {"releaseResident", NULL, release_resident, NULL, NULL, NULL, napi_default_method, NULL},
      {"forgetResident", NULL, forget_resident, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  fuse_uring_define(env, exports);
  return exports;
}

NAPI_MODULE(fuse_session, init)
