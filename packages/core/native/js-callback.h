// A JavaScript function the addon calls from libuv's callbacks, with the async context that
// makes each wake-up one callback scope: Promise continuations run before the scope closes.
#pragma once
#include <node_api.h>

typedef struct {
  napi_env env;
  napi_ref function;
  napi_ref resource;
  napi_async_context context;
} js_callback_t;

// One wake-up's scopes, and the function and global object to call it with.
typedef struct {
  napi_handle_scope handles;
  napi_callback_scope scope;
  napi_value function;
  napi_value global;
} js_wakeup_t;

static inline napi_status js_callback_init(js_callback_t *cb, napi_env env, napi_value function, const char *name) {
  napi_value resource, label;
  napi_status status;
  cb->env = env;
  if ((status = napi_create_object(env, &resource)) != napi_ok || (status = napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &label)) != napi_ok ||
      (status = napi_async_init(env, resource, label, &cb->context)) != napi_ok)
    return status;
  if ((status = napi_create_reference(env, function, 1, &cb->function)) != napi_ok) return status;
  return napi_create_reference(env, resource, 1, &cb->resource);
}

static inline void js_callback_free(js_callback_t *cb) {
  napi_delete_reference(cb->env, cb->function);
  napi_delete_reference(cb->env, cb->resource);
  napi_async_destroy(cb->env, cb->context);
}

static inline void js_wakeup_open(js_callback_t *cb, js_wakeup_t *w) {
  napi_value resource;
  napi_open_handle_scope(cb->env, &w->handles);
  napi_get_reference_value(cb->env, cb->function, &w->function);
  napi_get_reference_value(cb->env, cb->resource, &resource);
  napi_get_global(cb->env, &w->global);
  napi_open_callback_scope(cb->env, resource, cb->context, &w->scope);
}

// Closing the callback scope runs the microtasks queued meanwhile.
static inline void js_wakeup_close(js_callback_t *cb, js_wakeup_t *w) {
  napi_close_callback_scope(cb->env, w->scope);
  napi_close_handle_scope(cb->env, w->handles);
}

// Calls `function`; an exception it throws is the process's uncaught exception, as in any
// callback. Returns what it returned if that is a boolean, false otherwise.
static inline bool js_call_bool(napi_env env, napi_value function, napi_value global, size_t argc, napi_value arg) {
  napi_value result;
  if (napi_call_function(env, global, function, argc, &arg, &result) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
    return false;
  }
  bool value = false;
  napi_get_value_bool(env, result, &value);
  return value;
}

static inline void js_call(napi_env env, napi_value function, napi_value global, size_t argc, napi_value arg) {
  (void)js_call_bool(env, function, global, argc, arg);
}
