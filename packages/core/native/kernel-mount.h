// Mounting /dev/fuse for the low-level driver: with mount(2) as root, through the setuid
// fusermount helper for everyone else (src/lowlevel/kernel-mount.ts decides which).
#pragma once
#include <node_api.h>

/* unmount(mountpoint): umount2 with MNT_DETACH */
napi_value kernel_unmount(napi_env env, napi_callback_info info);
/* kernelMount(mountpoint, source, type, flags, data) -> fd */
napi_value kernel_mount(napi_env env, napi_callback_info info);
/* fusermountMount(path, options, mountpoint, timeoutMs, keepHelper) -> result object */
napi_value fusermount_mount(napi_env env, napi_callback_info info);
/* releaseHelper(pid, socket, timeoutMs) -> exit status */
napi_value release_helper(napi_env env, napi_callback_info info);
