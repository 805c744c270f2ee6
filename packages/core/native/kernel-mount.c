// See kernel-mount.h. The fusermount protocol (libfuse 2.9's util/fusermount.c): the helper finds
// one end of a socketpair in _FUSE_COMMFD, opens /dev/fuse, mounts it, sends the descriptor back
// with SCM_RIGHTS and exits; with auto_unmount it stays, and unmounts once our end closes.
#define _GNU_SOURCE
#include "kernel-mount.h"
#include "napi-util.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

// Where the helper finds its end of the socketpair (the number goes into _FUSE_COMMFD).
#define COMM_FD 3
// fusermount's messages are a line or two; more is cut.
#define OUTPUT_LIMIT 4096

// unmount(mountpoint): lazy, like fusermount -uz.
napi_value kernel_unmount(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char mountpoint[4096];
  if (argc < 1 || get_string(env, argv[0], mountpoint, sizeof mountpoint)) {
    napi_throw_type_error(env, NULL, "unmount(mountpoint): bad arguments");
    return NULL;
  }
  if (umount2(mountpoint, MNT_DETACH) != 0) return throw_errno(env, errno, "umount");
  return NULL;
}

// kernelMount(mountpoint, source, type, flags, data) -> fd. `data` gets "fd=N," prepended.
napi_value kernel_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char mountpoint[4096], source[1024], type[256], data[4096], options[4200];
  int64_t flags;
  if (argc < 5 || get_string(env, argv[0], mountpoint, sizeof mountpoint) || get_string(env, argv[1], source, sizeof source) ||
      get_string(env, argv[2], type, sizeof type) || napi_get_value_int64(env, argv[3], &flags) != napi_ok ||
      get_string(env, argv[4], data, sizeof data)) {
    napi_throw_type_error(env, NULL, "kernelMount(mountpoint, source, type, flags, data): bad arguments");
    return NULL;
  }
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open /dev/fuse");
  snprintf(options, sizeof options, "fd=%d%s%s", fd, data[0] ? "," : "", data);
  if (mount(source, mountpoint, type, (unsigned long)flags, options) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "mount");
  }
  napi_value result;
  CHECK(napi_create_int32(env, fd, &result));
  return result;
}

static int64_t now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// The helper's stdout and stderr, read as they come so that it never blocks on a full pipe.
typedef struct {
  int fd; // our end of the pipe; -1 once at end of file
  size_t length;
  char text[OUTPUT_LIMIT + 1];
} output_t;

static void drain(output_t *out) {
  char chunk[1024];
  while (out->fd >= 0) {
    ssize_t n = read(out->fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close(out->fd);
      out->fd = -1;
      return;
    }
    size_t take = (size_t)n < OUTPUT_LIMIT - out->length ? (size_t)n : OUTPUT_LIMIT - out->length;
    memcpy(out->text + out->length, chunk, take);
    out->length += take;
  }
}

// One descriptor sent with SCM_RIGHTS: >= 0 the descriptor (close-on-exec), -2 at end of stream
// (the helper's end is closed), -1 with errno (EAGAIN: nothing yet).
static int receive_fd(int sock) {
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    struct cmsghdr align;
    char buffer[CMSG_SPACE(4 * sizeof(int))];
  } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof control.buffer};
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  if (n == 0) return -2;
  int fd = -1;
  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int received;
      memcpy(&received, CMSG_DATA(cmsg) + i * sizeof(int), sizeof received);
      // Only one is expected: any other would leak.
      if (fd < 0) fd = received;
      else close(received);
    }
  }
  if (fd < 0) errno = EPROTO;
  return fd;
}

// Starts `path` as fusermount with `comm` at COMM_FD, stdout and stderr on `out`, stdin on
// /dev/null, default signal handling (Node ignores SIGPIPE; exec would keep that) and the
// environment plus _FUSE_COMMFD. 0 or an errno.
static int spawn_helper(const char *path, char *const argv[], int comm, int out, pid_t *pid) {
  size_t count = 0;
  while (environ[count]) count++;
  char **envp = calloc(count + 2, sizeof *envp);
  if (!envp) return ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < count; i++) {
    if (strncmp(environ[i], "_FUSE_COMMFD=", 13) != 0) envp[n++] = environ[i];
  }
  char comm_env[32];
  snprintf(comm_env, sizeof comm_env, "_FUSE_COMMFD=%d", COMM_FD);
  envp[n] = comm_env;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, out, 2);
  // dup2 to another number clears close-on-exec: only this end of the pair reaches the helper.
  posix_spawn_file_actions_adddup2(&actions, comm, COMM_FD);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  int err = posix_spawn(pid, path, &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  free(envp);
  return err;
}

// Waits for `pid` until `deadline`; kills it when the time is up. Its wait status.
static int bury(pid_t pid, int64_t deadline) {
  int status = 0;
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      status = -1; // not our child any more
      break;
    }
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    if (pidfd >= 0) {
      struct pollfd exited = {.fd = pidfd, .events = POLLIN};
      poll(&exited, 1, (int)left);
    } else {
      usleep(5000);
    }
  }
  if (pidfd >= 0) close(pidfd);
  return status;
}

// The errno whose text ends one of the helper's lines ("...: Permission denied"), or 0.
static int errno_in(const char *text) {
  int found = 0;
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    size_t length = end ? (size_t)(end - line) : strlen(line);
    for (int err = 1; err < 134; err++) {
      const char *description = strerrordesc_np(err);
      size_t size = description ? strlen(description) : 0;
      if (size && length >= size + 2 && memcmp(line + length - size - 2, ": ", 2) == 0 &&
          memcmp(line + length - size, description, size) == 0)
        found = err;
    }
    line += length + (end ? 1 : 0);
  }
  return found;
}

static napi_status set_int(napi_env env, napi_value object, const char *name, int64_t value) {
  napi_value number;
  napi_status status = napi_create_int64(env, value, &number);
  return status == napi_ok ? napi_set_named_property(env, object, name, number) : status;
}

/*
 * fusermountMount(path, options, mountpoint, timeoutMs, keepHelper) -> { fd, pid, socket,
 * status, signal, timedOut, output, errno }. Runs `path -o options -- mountpoint` and receives
 * the descriptor. fd is -1 when the helper failed: then `output` says why (and `errno` is the
 * errno named at the end of a line of it, or 0). With keepHelper (auto_unmount) a helper that
 * stays is returned as pid and socket (our end), for releaseHelper; otherwise it is reaped here
 * (pid 0, socket -1). A helper that does not answer within timeoutMs is killed (timedOut).
 */
napi_value fusermount_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096], options[8192], mountpoint[4096];
  int32_t timeout;
  bool keep;
  if (argc < 5 || get_string(env, argv[0], path, sizeof path) || get_string(env, argv[1], options, sizeof options) ||
      get_string(env, argv[2], mountpoint, sizeof mountpoint) || napi_get_value_int32(env, argv[3], &timeout) != napi_ok ||
      napi_get_value_bool(env, argv[4], &keep) != napi_ok || timeout <= 0) {
    napi_throw_type_error(env, NULL, "fusermountMount(path, options, mountpoint, timeoutMs, keepHelper): bad arguments");
    return NULL;
  }
  int pair[2], pipe_fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return throw_errno(env, errno, "socketpair");
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    int err = errno;
    close(pair[0]);
    close(pair[1]);
    return throw_errno(env, err, "pipe");
  }
  if (pair[1] == COMM_FD) {
    // dup2 onto itself would keep close-on-exec: move it out of the way first.
    int moved = fcntl(pair[1], F_DUPFD_CLOEXEC, COMM_FD + 1);
    close(pair[1]);
    pair[1] = moved;
  }
  char *helper_argv[] = {"fusermount", "-o", options, "--", mountpoint, NULL};
  pid_t pid = 0;
  int err = pair[1] < 0 ? errno : spawn_helper(path, helper_argv, pair[1], pipe_fds[1], &pid);
  if (pair[1] >= 0) close(pair[1]);
  close(pipe_fds[1]);
  if (err) {
    close(pair[0]);
    close(pipe_fds[0]);
    return throw_errno(env, err, "spawn fusermount");
  }
  fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  output_t *out = calloc(1, sizeof *out);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  int64_t deadline = now_ms() + timeout;
  int fd = -1, status = 0, exited = 0, stream_open = 1, timed_out = 0;
  if (out) out->fd = pipe_fds[0];
  else close(pipe_fds[0]);
  for (;;) {
    if (fd >= 0 && (keep || exited)) break;
    if (exited) {
      // It may have sent the descriptor just before exiting.
      if (stream_open) fd = receive_fd(pair[0]);
      if (fd < 0) fd = -1;
      break;
    }
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      timed_out = 1;
      break;
    }
    struct pollfd fds[3];
    nfds_t count = 0;
    if (fd < 0 && stream_open) fds[count++] = (struct pollfd){.fd = pair[0], .events = POLLIN};
    if (out && out->fd >= 0) fds[count++] = (struct pollfd){.fd = out->fd, .events = POLLIN};
    if (pidfd >= 0) fds[count++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
    poll(fds, count, pidfd >= 0 ? (int)left : (int)(left < 10 ? left : 10));
    if (fd < 0 && stream_open) {
      int got = receive_fd(pair[0]);
      if (got >= 0) fd = got;
      else if (got == -2 || errno != EAGAIN) stream_open = 0;
    }
    if (out) drain(out);
    pid_t done;
    do done = waitpid(pid, &status, WNOHANG);
    while (done < 0 && errno == EINTR);
    if (done == pid) exited = 1;
  }
  if (fd >= 0 && keep && !exited) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) exited = 1; // this fusermount does not stay (no auto_unmount support)
  }
  if (!exited && !(fd >= 0 && keep)) {
    // Timed out: it will not answer any more.
    status = bury(pid, 0);
    exited = 1;
  }
  if (pidfd >= 0) close(pidfd);
  if (out) {
    drain(out);
    if (out->fd >= 0) close(out->fd);
  }
  int kept = fd >= 0 && keep && !exited;
  if (!kept) close(pair[0]);
  napi_value result, text, flag;
  const char *output = out ? out->text : "";
  if (napi_create_object(env, &result) != napi_ok || set_int(env, result, "fd", fd) != napi_ok ||
      set_int(env, result, "pid", kept ? pid : 0) != napi_ok || set_int(env, result, "socket", kept ? pair[0] : -1) != napi_ok ||
      set_int(env, result, "status", exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1) != napi_ok ||
      set_int(env, result, "signal", exited && WIFSIGNALED(status) ? WTERMSIG(status) : 0) != napi_ok ||
      set_int(env, result, "errno", errno_in(output)) != napi_ok ||
      napi_create_string_utf8(env, output, out ? out->length : 0, &text) != napi_ok ||
      napi_set_named_property(env, result, "output", text) != napi_ok || napi_get_boolean(env, timed_out, &flag) != napi_ok ||
      napi_set_named_property(env, result, "timedOut", flag) != napi_ok) {
    free(out);
    if (fd >= 0) close(fd);
    if (kept) close(pair[0]);
    napi_throw_error(env, NULL, "kernel-mount: N-API call failed building the result");
    return NULL;
  }
  free(out);
  return result;
}

// releaseHelper(pid, socket, timeoutMs) -> exit status (-1: killed or not our child). Closing our
// end tells an auto_unmount helper to unmount and exit; it is then reaped (killed if it lingers).
napi_value release_helper(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t pid, sock, timeout;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || napi_get_value_int32(env, argv[1], &sock) != napi_ok ||
      napi_get_value_int32(env, argv[2], &timeout) != napi_ok || pid <= 0) {
    napi_throw_type_error(env, NULL, "releaseHelper(pid, socket, timeoutMs): bad arguments");
    return NULL;
  }
  if (sock >= 0) close(sock);
  int status = bury(pid, now_ms() + timeout);
  napi_value result;
  CHECK(napi_create_int32(env, status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, &result));
  return result;
}
