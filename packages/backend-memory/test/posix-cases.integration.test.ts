import { allCapabilities, describeCasesOnMount, type Capability } from '@fusekit/testkit'

// The real-syscall case table (ownership, setgid, umask, chmod/chown/utimens rules, set-id
// clearing, permissions, hard links, fallocate, holes, copy_file_range, xattrs), run as other
// users against the mount: as tmpfs answers them.
describeCasesOnMount('memory (lowlevel driver, kernel permission checks)', { backend: 'memory', args: () => ['--driver', 'lowlevel', '--allow-other'] }, allCapabilities)

// Without default_permissions the backend checks permissions itself.
describeCasesOnMount(
  'memory (lowlevel driver, the backend checking permissions)',
  { backend: 'memory', args: () => ['--driver', 'lowlevel', '--allow-other', '--no-default-permissions'] },
  allCapabilities,
)

// What libfuse 2's high-level API, through fuse-native, cannot give: the caller's identity, unlinked open files,
// nanoseconds, one kernel inode per hard-linked file, fallocate, lseek, copy_file_range, rename flags.
const notThroughFuseNative: Capability[] = ['callerIdentity', 'unlinkedOpenFiles', 'nanosecondTimes', 'hardlinks', 'fallocate', 'zeroRange', 'seekHoles', 'copyFileRange', 'renameFlags']
describeCasesOnMount(
  'memory (fuse-native driver)',
  { backend: 'memory', args: () => ['--driver', 'fuse-native', '--allow-other'] },
  allCapabilities.filter((c) => !notThroughFuseNative.includes(c)),
)
