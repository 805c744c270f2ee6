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
  // The source can change underneath: keep pages only while size and mtime stay the same, and
  // let direct changes show within a second.
  mountDefaults: { autoCache: true, attrTimeout: 1, entryTimeout: 1 },
  create({ options, mountpoint, mountOptions, logger }) {
    const root = checkSource(options.source, mountpoint)
    const source = new SourceRoot(root, (path, resolvedTo) =>
      logger.warn(`refused ${path}: it resolves to ${resolvedTo}, outside the source (a symlink swapped in by another process?)`),
    )
    return new PassthroughOperations({
      source,
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
