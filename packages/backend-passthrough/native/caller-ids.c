#define _GNU_SOURCE
#include "caller-ids.h"

#include <errno.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct __user_cap_header_struct this_thread(void) {
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  return header;
}

int become_caller(int64_t uid, int64_t gid, caller_ids_t *saved) {
  saved->switched = 0;
  if (uid < 0 && gid < 0) return 0;
  struct __user_cap_header_struct header = this_thread();
  if (syscall(SYS_capget, &header, saved->capabilities) != 0) return -errno;
  // Each returns the previous id; an id it cannot take leaves the current one (read back by -1).
  saved->gid = setfsgid((gid_t)gid);
  saved->uid = setfsuid((uid_t)uid);
  saved->switched = 1;
  if (setfsgid((gid_t)-1) != (int)gid || setfsuid((uid_t)-1) != (int)uid) {
    become_self(saved);
    return -EPERM;
  }
  header = this_thread();
  if (syscall(SYS_capset, &header, saved->capabilities) != 0) {
    int error = errno;
    become_self(saved);
    return -error;
  }
  return 0;
}

void become_self(const caller_ids_t *saved) {
  if (!saved->switched) return;
  int error = errno;
  setfsuid((uid_t)saved->uid);
  setfsgid((gid_t)saved->gid);
  // Going back to fsuid 0 raises every permitted capability: unless that is what there was (as
  // for root), leave exactly the ones there were.
  const struct __user_cap_data_struct *c = saved->capabilities;
  if (c[0].effective != c[0].permitted || c[1].effective != c[1].permitted) {
    struct __user_cap_header_struct header = this_thread();
    syscall(SYS_capset, &header, (void *)saved->capabilities);
  }
  errno = error;
}
