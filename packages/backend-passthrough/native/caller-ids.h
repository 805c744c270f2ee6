// New files owned by the caller: the thread's filesystem ids are switched to the caller's for
// the one system call that creates the object, so the source filesystem itself makes it
// theirs, with its own rules (the group of a set-group-ID directory, the bit inherited by
// subdirectories, quotas charged to the caller from the start), in one step: there is never a
// moment where the object exists with another owner, and no later chown clears the set-user-ID
// and set-group-ID bits it was made with. The capabilities the switch drops (CAP_DAC_OVERRIDE,
// CAP_FOWNER, CAP_MKNOD, ...) are put back for that call: permissions are still checked as the
// mounting user, as every other operation is.
//
// setfsuid/setfsgid and capset act on the calling thread only, and the calls run synchronously
// on the JS thread: nothing else runs with the caller's ids in between.
#pragma once
#include <stdint.h>
#include <linux/capability.h>

typedef struct {
  int switched;
  int uid;
  int gid;
  struct __user_cap_data_struct capabilities[_LINUX_CAPABILITY_U32S_3];
} caller_ids_t;

// Acts as (uid, gid) from now on (both, or -1 for both: the thread keeps its own ids). 0, or -EPERM when the
// ids cannot be taken (an id this user namespace does not map): nothing is switched then.
int become_caller(int64_t uid, int64_t gid, caller_ids_t *saved);
// Back to the ids and capabilities saved; keeps errno.
void become_self(const caller_ids_t *saved);
