import type { Capability } from '@fusekit/testkit'

/**
 * What the S3 backend does of the POSIX case table (capabilityDocs). Not in it: hard links (one
 * object per name), special files (S3 holds files, directories and symlinks), extended
 * attributes, fallocate and holes, a copy_file_range of its own, RENAME_EXCHANGE (renameFlags
 * needs both flags: NOREPLACE is tested in mount-renames.test.ts), and callerIdentity's setgid
 * directory groups and set-id clearing (new objects do belong to the caller: interop.test.ts).
 */
export const s3Capabilities: Capability[] = ['writable', 'otherUsers', 'chown', 'symlinks', 'unlinkedOpenFiles', 'execute', 'subsecondTimes', 'nanosecondTimes']
