// FUSE over io_uring (Linux 6.14+) on Node's own thread: one io_uring carries the entries of
// every kernel queue (one queue per possible CPU); uv_poll on the ring's descriptor wakes us when
// requests arrived, each is handed to JavaScript as /dev/fuse would give it, and the answers go
// back as COMMIT_AND_FETCH commands: those of one wake-up, or else of one turn of the event loop,
// in one io_uring_enter.
#define _GNU_SOURCE
#include "fuse-uring.h"
#include "fuse-session.h"
#include "fuse-uring-abi.h"
#include "io-ring.h"
#include "js-callback.h"
#include "napi-util.h"
#include <errno.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <uv.h>

#define PAGE 4096
#define HEADER_ROOM PAGE // per entry, before its payload: keeps payloads page-aligned
#define REAP_BATCH 64

enum { WAITING, IN_USERSPACE, DEAD };

typedef struct {
  struct fuse_uring_req_header *header;
  char *payload;
  struct iovec iov[2]; // read by the kernel at REGISTER
  uint64_t commit_id;
  uint16_t qid;
  int state;
} entry_t;

typedef struct {
  uv_poll_t poll;
  uv_prepare_t flush; // submits the answers given since the last submission, before the loop blocks
  napi_env env;
  js_callback_t js;
  napi_ref served;     // told after a wake-up in which requests were answered from descriptors
  napi_ref session;    // the /dev/fuse session, whose descriptor table answers reads and writes
  void *session_data;
  int started;         // js, served and session are set
  io_ring_t ring;
  int dev;
  unsigned count;
  size_t payload_size;
  entry_t *entries;
  char *memory;
  size_t memory_size;
  int reaping;  // answers are batched until the wake-up is done
  int polling;  // uv owns the poll and flush handles
  int stopped;
  int handles;  // uv handles not closed yet
  int orphaned; // JS dropped its handle object
} uring_t;

static void release(uring_t *u) {
  io_ring_close(&u->ring);
  if (u->memory) munmap(u->memory, u->memory_size);
  u->memory = NULL;
  free(u->entries);
  u->entries = NULL;
}

static void on_closed(uv_handle_t *handle) {
  uring_t *u = handle->data;
  if (--u->handles == 0 && u->orphaned) free(u);
}

static void uring_stop(uring_t *u);

static void on_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  uring_t *u = data;
  uring_stop(u);
  release(u);
  if (u->handles == 0) free(u);
  else u->orphaned = 1;
}

static void uring_stop(uring_t *u) {
  if (u->stopped) return;
  u->stopped = 1;
  if (u->started) {
    js_callback_free(&u->js);
    napi_delete_reference(u->env, u->served);
    napi_delete_reference(u->env, u->session);
  }
  // libuv must let go of the descriptor before it is closed.
  if (u->polling) {
    uv_poll_stop(&u->poll);
    uv_close((uv_handle_t *)&u->poll, on_closed);
    uv_close((uv_handle_t *)&u->flush, on_closed);
  }
  // Closing the ring cancels the commands the kernel holds: it answers their requests ENOTCONN.
  io_ring_close(&u->ring);
}

// Queues one command for entry `e`; sent by io_ring_submit. 0, or -EBUSY when the queue is full
// (it holds a slot per entry, so only a bug gets there).
static int queue_command(uring_t *u, entry_t *e, uint32_t op) {
  struct ring_sqe *sqe = io_ring_sqe(&u->ring);
  if (!sqe) return -EBUSY;
  sqe->opcode = RING_OP_URING_CMD;
  sqe->fd = u->dev;
  sqe->cmd_op = op;
  sqe->user_data = (uint64_t)(e - u->entries);
  if (op == FUSE_IO_URING_CMD_REGISTER) {
    sqe->addr = (uint64_t)(uintptr_t)e->iov;
    sqe->len = 2;
  }
  struct fuse_uring_cmd_req *cmd = (struct fuse_uring_cmd_req *)sqe->cmd;
  cmd->commit_id = op == FUSE_IO_URING_CMD_COMMIT_AND_FETCH ? e->commit_id : 0;
  cmd->qid = e->qid;
  io_ring_push(&u->ring);
  e->state = WAITING;
  return 0;
}

static void on_flush(uv_prepare_t *handle) {
  uring_t *u = handle->data;
  uv_prepare_stop(&u->flush);
  io_ring_submit(&u->ring);
}

// Answers entry `e`'s request with `out` and the `body` bytes in its payload already, and asks for
// the next one. The command goes with the others of this wake-up, or of this turn of the loop.
static int commit_in_place(uring_t *u, entry_t *e, const struct fuse_out_header *out, size_t body) {
  memcpy(e->header->in_out, out, sizeof *out);
  e->header->ring_ent_in_out.payload_sz = (uint32_t)body;
  int err = queue_command(u, e, FUSE_IO_URING_CMD_COMMIT_AND_FETCH);
  if (!err && !u->reaping && !uv_is_active((uv_handle_t *)&u->flush)) uv_prepare_start(&u->flush, on_flush);
  return err;
}

// The same with `reply` as JavaScript gives it: out header, then body.
static int commit(uring_t *u, entry_t *e, const char *reply, size_t length) {
  size_t body = length - sizeof(struct fuse_out_header);
  memcpy(e->payload, reply + sizeof(struct fuse_out_header), body);
  return commit_in_place(u, e, (const struct fuse_out_header *)reply, body);
}

// The request in entry `e` as one buffer laid out as a read of /dev/fuse gives it: in header,
// the opcode's header (`op` bytes: the kernel puts it apart), then the payload.
static napi_value request_buffer(uring_t *u, entry_t *e, size_t op, size_t payload) {
  const struct fuse_in_header *in = (const void *)e->header->in_out;
  napi_value buffer;
  char *data;
  if (napi_create_buffer(u->env, in->len, (void **)&data, &buffer) != napi_ok) return NULL;
  memcpy(data, in, sizeof *in);
  memcpy(data + sizeof *in, e->header->op_in, op);
  memcpy(data + sizeof *in + op, e->payload, payload);
  return buffer;
}

// A request arrived in entry `e`: answered here from a handle's descriptor (1), or handed to
// JavaScript; EIO when its sizes do not add up.
static int deliver(uring_t *u, entry_t *e, const js_wakeup_t *w) {
  const struct fuse_in_header *in = (const void *)e->header->in_out;
  size_t payload = e->header->ring_ent_in_out.payload_sz;
  e->state = IN_USERSPACE;
  e->commit_id = e->header->ring_ent_in_out.commit_id;
  struct fuse_out_header out = {.len = sizeof out, .error = -EIO, .unique = e->commit_id};
  if (payload > u->payload_size || in->len < sizeof *in + payload || in->len - sizeof *in - payload > FUSE_URING_OP_IN_OUT_SZ) {
    commit_in_place(u, e, &out, 0);
    return 0;
  }
  size_t op = in->len - sizeof *in - payload;
  handle_table_t *table = fuse_session_descriptors(u->session_data);
  // A read lands straight in the entry's payload; a write's answer overwrites its data there.
  if (table && descriptor_io_answer(table, NULL, in->opcode, e->header->op_in, op, e->payload, payload, &out, e->payload, u->payload_size)) {
    commit_in_place(u, e, &out, out.len - sizeof out);
    return 1;
  }
  napi_value request = request_buffer(u, e, op, payload);
  if (request) js_call(u->env, w->function, w->global, 1, request);
  else commit_in_place(u, e, &out, 0);
  return 0;
}

// One completion: a request arrived in the entry (res 0; 1 if answered here), or its command failed.
static int complete(uring_t *u, const struct ring_cqe *cqe, const js_wakeup_t *w) {
  if (cqe->user_data >= u->count) return 0;
  entry_t *e = &u->entries[cqe->user_data];
  if (cqe->res == 0) return deliver(u, e, w);
  e->state = DEAD;
  // The connection is going away (unmounted, or the ring closed): nothing to report.
  if (cqe->res == -ENOTCONN || cqe->res == -ECONNABORTED || cqe->res == -ECANCELED) return 0;
  napi_value error;
  napi_create_int32(u->env, cqe->res, &error);
  js_call(u->env, w->function, w->global, 1, error);
  return 0;
}

static void on_ready(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  uring_t *u = handle->data;
  js_wakeup_t w;
  u->reaping = 1;
  // The callback scope runs the Promise continuations, and so most answers, before it closes.
  js_wakeup_open(&u->js, &w);
  struct ring_cqe cqes[REAP_BATCH];
  unsigned n, served = 0;
  while (!u->stopped && (n = io_ring_reap(&u->ring, cqes, REAP_BATCH)) > 0) {
    for (unsigned i = 0; i < n && !u->stopped; i++) served += (unsigned)complete(u, &cqes[i], &w);
  }
  if (served && !u->stopped) {
    napi_value on_served;
    napi_get_reference_value(u->env, u->served, &on_served);
    js_call(u->env, on_served, w.global, 0, NULL);
  }
  js_wakeup_close(&u->js, &w);
  u->reaping = 0;
  if (!u->stopped) io_ring_submit(&u->ring);
}

static int unwrap(napi_env env, napi_value value, uring_t **u) {
  return napi_get_value_external(env, value, (void **)u) == napi_ok && *u ? 0 : -1;
}

// uringOpen(devFd, queues, depth, payloadSize) -> handle: the ring and every entry's buffers,
// made before the INIT reply claims FUSE_OVER_IO_URING (the kernel then waits for the queues).
static napi_value uring_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t dev, queues, depth, payload;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &dev) != napi_ok || napi_get_value_int32(env, argv[1], &queues) != napi_ok ||
      napi_get_value_int32(env, argv[2], &depth) != napi_ok || napi_get_value_int32(env, argv[3], &payload) != napi_ok || dev < 0 ||
      queues < 1 || queues > 65536 || depth < 1 || depth > 1024 || payload < 8192) {
    napi_throw_type_error(env, NULL, "uringOpen(devFd, queues 1..65536, depth 1..1024, payloadSize >= 8192): bad arguments");
    return NULL;
  }
  uring_t *u = calloc(1, sizeof *u);
  if (!u) return throw_errno(env, ENOMEM, "uringOpen");
  u->env = env;
  u->dev = dev;
  u->count = (unsigned)queues * (unsigned)depth;
  u->payload_size = ((size_t)payload + PAGE - 1) & ~(size_t)(PAGE - 1);
  int err = io_ring_open(&u->ring, u->count);
  const char *what = "io_uring_setup";
  if (!err) {
    what = "uringOpen";
    u->entries = calloc(u->count, sizeof *u->entries);
    u->memory_size = (size_t)u->count * (HEADER_ROOM + u->payload_size);
    u->memory = mmap(NULL, u->memory_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (u->memory == MAP_FAILED) u->memory = NULL;
    if (!u->entries || !u->memory) err = -ENOMEM;
  }
  if (err) {
    release(u);
    free(u);
    return throw_errno(env, -err, what);
  }
  for (unsigned i = 0; i < u->count; i++) {
    entry_t *e = &u->entries[i];
    char *base = u->memory + (size_t)i * (HEADER_ROOM + u->payload_size);
    e->header = (struct fuse_uring_req_header *)base;
    e->payload = base + HEADER_ROOM;
    e->iov[0] = (struct iovec){.iov_base = e->header, .iov_len = sizeof *e->header};
    e->iov[1] = (struct iovec){.iov_base = e->payload, .iov_len = u->payload_size};
    e->qid = (uint16_t)(i / (unsigned)depth);
  }
  napi_value handle;
  CHECK(napi_create_external(env, u, on_finalize, NULL, &handle));
  return handle;
}

// uringStart(handle, session, callback(request: Buffer | -errno), served()): registers every
// entry (after the INIT reply: the kernel refuses them before) and starts polling the ring. Reads
// and writes of the handles `session` (poll's) serves from descriptors are answered here too.
static napi_value uring_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uring_t *u;
  void *session;
  napi_valuetype type, served_type;
  if (argc < 4 || unwrap(env, argv[0], &u) || napi_get_value_external(env, argv[1], &session) != napi_ok ||
      napi_typeof(env, argv[2], &type) != napi_ok || type != napi_function || napi_typeof(env, argv[3], &served_type) != napi_ok ||
      served_type != napi_function || u->started) {
    napi_throw_type_error(env, NULL, "uringStart(handle, session, callback, served): bad arguments, or started already");
    return NULL;
  }
  if (u->stopped) return throw_errno(env, ENOTCONN, "uringStart");
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int err = uv_poll_init(loop, &u->poll, u->ring.fd);
  if (err) return throw_errno(env, -err, "uv_poll_init");
  uv_prepare_init(loop, &u->flush);
  u->poll.data = u;
  u->flush.data = u;
  u->polling = 1;
  u->handles = 2;
  CHECK(js_callback_init(&u->js, env, argv[2], "fusekit:fuse-uring"));
  CHECK(napi_create_reference(env, argv[3], 1, &u->served));
  CHECK(napi_create_reference(env, argv[1], 1, &u->session));
  u->session_data = session;
  u->started = 1;
  for (unsigned i = 0; i < u->count && !err; i++) err = queue_command(u, &u->entries[i], FUSE_IO_URING_CMD_REGISTER);
  if (!err) err = io_ring_submit(&u->ring);
  if (!err) err = uv_poll_start(&u->poll, UV_READABLE, on_ready);
  if (err) {
    uring_stop(u);
    return throw_errno(env, -err, "uringStart");
  }
  return NULL;
}

// uringReply(handle, reply) -> whether the reply answered a request of the ring (else it is
// /dev/fuse's to carry: a request read there, before the queues were up).
static napi_value uring_reply(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uring_t *u;
  char *data;
  size_t length;
  if (argc < 2 || unwrap(env, argv[0], &u) || napi_get_buffer_info(env, argv[1], (void **)&data, &length) != napi_ok ||
      length < sizeof(struct fuse_out_header)) {
    napi_throw_type_error(env, NULL, "uringReply(handle, reply): bad arguments");
    return NULL;
  }
  napi_value answer;
  uint64_t unique;
  memcpy(&unique, data + offsetof(struct fuse_out_header, unique), sizeof unique);
  entry_t *e = NULL;
  for (unsigned i = 0; i < u->count && !u->stopped && !e; i++) {
    if (u->entries[i].state == IN_USERSPACE && u->entries[i].commit_id == unique) e = &u->entries[i];
  }
  if (e && length - sizeof(struct fuse_out_header) > u->payload_size) return throw_errno(env, EMSGSIZE, "uringReply");
  int err = e ? commit(u, e, data, length) : 0;
  if (err) return throw_errno(env, -err, "uringReply");
  CHECK(napi_get_boolean(env, e != NULL, &answer));
  return answer;
}

// uringStop(handle): stops polling and closes the ring (the /dev/fuse descriptor stays open).
static napi_value uring_stop_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uring_t *u;
  if (argc < 1 || unwrap(env, argv[0], &u)) {
    napi_throw_type_error(env, NULL, "uringStop(handle): bad arguments");
    return NULL;
  }
  uring_stop(u);
  return NULL;
}

void fuse_uring_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"uringOpen", NULL, uring_open, NULL, NULL, NULL, napi_default_method, NULL},
      {"uringStart", NULL, uring_start, NULL, NULL, NULL, napi_default_method, NULL},
      {"uringReply", NULL, uring_reply, NULL, NULL, NULL, napi_default_method, NULL},
      {"uringStop", NULL, uring_stop_js, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
