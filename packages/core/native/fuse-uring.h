// FUSE over io_uring (fuse-uring.c): uringOpen, uringStart, uringReply and uringStop on the
// fuse-session addon's exports.
#pragma once
#include <node_api.h>

void fuse_uring_define(napi_env env, napi_value exports);
