import { defineBackend } from '@fusekit/core'
import { CallerOwnership } from './caller-ownership.js'
import { closeReportsNothing } from './close-reports.js'
import { defaultNodeDescriptors } from './descriptor-budget.js'
import { ListedEntries } from './listed-entries.js'
import { passthroughOptions } from './options.js'
import { PassthroughInodes } from './passthrough.js'
import { calls, check } from './source-calls.js'
import { checkSource } from './source-check.js'
import { SourceNodes } from './source-nodes.js'
import { SourceSetId } from './source-set-id.js'

/** `fusekit mount passthrough <mountpoint> --source <dir>`: shows <dir> through the mount, like bindfs. */
export const passthroughBackend = defineBackend({
  apiVersion: 2,
  layer: 'inode',
  name: 'passthrough',
  description: [
    'Mirror a directory (like bindfs), with optional owner and permission mapping.',
    'What is made through the mount (files, directories, symlinks, nodes) belongs to the user who made it when fusekit',
    "runs as root with the lowlevel driver (in a set-group-ID directory the group is the directory's); otherwise (fusekit",
    'run by another user, or the fuse-native driver) it belongs to the user running fusekit.',
  ].join('\n'),
  options: passthroughOptions,
  // The source can change underneath: keep file pages only while size and mtime stay the same
  // (checked at every open), and let direct changes show within the one-second attribute timeout.
  // The source checks permissions itself, for the user who mounted (the only one let in unless
  // --allow-other, which turns the kernel's checks back on): no GETATTR of the directory before
  // every unlink and create.
  mountDefaults: { autoCache: true, attrTimeout: 1, entryTimeout: 1, defaultPermissions: false },
  create({ options, mountpoint, mountOptions, directoryRemovals }) {
    const source = checkSource(options.source, mountpoint)
    // The nodes the kernel holds keep descriptors open, as many as the budget allows.
    const limit = check(calls.raiseFileLimit())
    const nodes = SourceNodes.open(source, options.nodeDescriptors ?? defaultNodeDescriptors(limit))
    const view = { uid: options.uid, gid: options.gid, umask: options.umask ?? 0 }
    // unlink and rmdir are unlinkat beneath the directory's descriptor, getattr its fstat shown
    // through the view: the driver may make those calls itself.
    if (!mountOptions.readOnly) {
      nodes.offerDirectoriesTo(directoryRemovals)
      directoryRemovals.showAttributes(view)
    }
    return new PassthroughInodes({
      nodes,
      view,
      readOnly: mountOptions.readOnly,
      owners: CallerOwnership.ofThisProcess(),
      setIds: SourceSetId.ofThisProcess(),
      listed: new ListedEntries(mountOptions),
      timeouts: mountOptions,
      silentClose: closeReportsNothing(source),
    })
  },
})
