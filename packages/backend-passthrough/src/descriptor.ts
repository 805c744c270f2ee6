import { readFileSync } from 'node:fs'
import { defineBackend } from '@fusekit/core'
import { passthroughOptions } from './options.js'
import { PassthroughOperations } from './passthrough.js'
import { checkSource } from './source-check.js'
import { SourceRoot } from './source-root.js'

/** `fusekit mount passthrough <mountpoint> --source <dir>`: shows <dir> through the mount, like bindfs. */
export const passthroughBackend = defineBackend({
  apiVersion: 1,
  name: 'passthrough',
  description: 'Mirror a directory (like bindfs), with optional owner and permission mapping',
  options: passthroughOptions,
  // The source can change underneath: keep file pages only while size and mtime stay the same
  // (checked at every open), and let direct changes show within the one-second attribute timeout.
  // The source checks permissions itself, for the user who mounted (the only one let in unless
  // --allow-other, which turns the kernel's checks back on): no GETATTR of the directory before
  // every unlink and create.
  mountDefaults: { autoCache: true, attrTimeout: 1, entryTimeout: 1, defaultPermissions: false },
  create({ options, mountpoint, mountOptions }) {
    return new PassthroughOperations({
      source: new SourceRoot(checkSource(options.source, mountpoint)),
      view: { uid: options.uid, gid: options.gid, umask: options.umask ?? 0 },
      readOnly: mountOptions.readOnly,
      processUmask: currentUmask(),
    })
  },
})

/** The process umask, which every open/mkdir applies (read from /proc: process.umask() would set it). */
function currentUmask(): number {
  const line = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return line ? parseInt(line[1]!, 8) : 0o022
}
