// The N-API helpers both C files of the addon use: a checked call, errors shaped like Node's
// system errors (so that mapErrno understands them), and bounded strings.
#pragma once
#define _GNU_SOURCE
#include <node_api.h>
#include <stdio.h>
#include <string.h>

#define CHECK(call)                                                                 \
  do {                                                                              \
    if ((call) != napi_ok) {                                                        \
      napi_throw_error(env, NULL, "fuse-session: N-API call failed: " #call);       \
      return NULL;                                                                  \
    }                                                                               \
  } while (0)

static inline napi_value throw_errno(napi_env env, int err, const char *what) {
  char message[512];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value msg, code, number, error;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  const char *name = strerrorname_np(err);
  napi_create_string_utf8(env, name ? name : "EIO", NAPI_AUTO_LENGTH, &code);
  napi_create_int32(env, -err, &number);
  napi_create_error(env, NULL, msg, &error);
  napi_set_named_property(env, error, "code", code);
  napi_set_named_property(env, error, "errno", number);
  napi_throw(env, error);
  return NULL;
}

// The two arguments many calls take, a handle (external) and a Buffer (its value in `*buffer`
// unless NULL): 0, or -1 (nothing thrown).
static inline int external_and_buffer(napi_env env, napi_callback_info info, void **external, void **data, size_t *length, napi_value *buffer) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return -1;
  if (napi_get_value_external(env, argv[0], external) != napi_ok) return -1;
  bool is_buffer;
  if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer) return -1;
  if (buffer) *buffer = argv[1];
  return napi_get_buffer_info(env, argv[1], data, length) == napi_ok ? 0 : -1;
}

// 0, or -1 when `value` is not a string or does not fit in `size` bytes with its NUL.
static inline int get_string(napi_env env, napi_value value, char *out, size_t size) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, out, size, &length) != napi_ok) return -1;
  return length < size - 1 ? 0 : -1;
}
