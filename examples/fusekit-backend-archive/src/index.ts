import { defineBackend } from '@fusekit/core'
import { z } from 'zod'
import { ArchiveView } from './archive-view.js'

/** `fusekit mount archive <mountpoint> --file <archive.tar>` */
export const archiveOptions = z.object({
  file: z.string().min(1).describe('The .tar archive to show: POSIX ustar or pax, or GNU tar; not compressed'),
})

/**
 * A read-only view of a .tar archive: regular files, directories, symlinks and hard links with
 * their modes, owners and times; long names from pax and GNU headers; file contents read by
 * offset from the archive, never extracted.
 */
export const archiveBackend = defineBackend({
  apiVersion: 2,
  layer: 'inode',
  name: 'archive',
  description: 'A read-only view of a .tar archive, read in place',
  options: archiveOptions,
  // Read-only, and nothing changes while mounted: the kernel may keep names, attributes and pages.
  mountDefaults: { readOnly: true, kernelCache: true, attrTimeout: 3600, entryTimeout: 3600, negativeTimeout: 3600 },
  create: async ({ options, logger }) => {
    const view = await ArchiveView.open(options.file)
    for (const problem of view.skipped) logger.warn(`left out ${problem}`)
    return view
  },
})

export default archiveBackend
