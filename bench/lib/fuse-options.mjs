// The FUSE options a fusekit backend mounts with by default, read from the built packages, so
// that bindfs can be given the same caching, timeouts and request sizes: the comparison is then
// about how fast each answers requests, not about which one the kernel asks less often.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { repoRoot } from './mounts.mjs'

// Options that only name the filesystem; everything else in the list changes how the kernel talks to it.
const NAMING = /^(fsname|subtype)=/

export async function fusekitDefaults(backendPackage) {
  const core = await import(pathToFileURL(join(repoRoot, 'packages/core/dist/index.js')).href)
  const backend = (await import(pathToFileURL(join(repoRoot, backendPackage, 'dist/index.js')).href)).default
  const options = core.backendMountOptions(backend)
  return {
    options,
    /** The -o list libfuse gets, minus the naming options. */
    fuseOptions: core.fuseOptionList(options).filter((o) => !NAMING.test(o)),
  }
}
