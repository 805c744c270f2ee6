import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe } from 'vitest'
import { useMount, type SuiteMountSetup } from './posix-suite-mount.js'
import { registerDataCases } from './posix-suite-data.js'
import { registerMetadataCases } from './posix-suite-metadata.js'
import { registerNamespaceCases } from './posix-suite-namespace.js'
import { registerTreeCases } from './posix-suite-tree.js'

/**
 * What a backend can do. Everything defaults to true; set a flag to false only where the backend
 * genuinely cannot: the suite then checks that the operation is refused cleanly instead.
 */
export interface PosixCapabilities {
  /** chown/lchown change uid and gid (otherwise: EPERM). */
  chown: boolean
  /** user.* extended attributes (otherwise: EOPNOTSUPP). */
  xattr: boolean
  /** link(2) (otherwise: EPERM or EOPNOTSUPP). */
  hardlinks: boolean
  /** symlink(2) (otherwise: EPERM or EOPNOTSUPP). */
  symlinks: boolean
}

export interface PosixSuiteSetup extends SuiteMountSetup {
  capabilities?: Partial<PosixCapabilities>
  /** How finely the mount keeps file times: fuse-native carries milliseconds (the default). */
  timePrecision?: 'millisecond' | 'nanosecond'
}

/** What the case groups get: the mount's capabilities and a private directory per test. */
export interface PosixSuiteContext {
  readonly capabilities: PosixCapabilities
  readonly timePrecision: 'millisecond' | 'nanosecond'
  /** A new, empty directory inside the mount for one test. */
  caseDir(name: string): Promise<string>
}

const allCapabilities: PosixCapabilities = { chown: true, xattr: true, hardlinks: true, symlinks: true }

/**
 * Registers a vitest suite that mounts `setup.backend` in a child process once, and checks POSIX
 * behaviour with real syscalls and shell tools from this (the vitest worker) process.
 */
export function describePosixSuite(name: string, setup: PosixSuiteSetup): void {
  describe(`POSIX behaviour: ${name}`, () => {
    const mount = useMount(setup)
    const usedNames = new Set<string>()
    const context: PosixSuiteContext = {
      capabilities: { ...allCapabilities, ...setup.capabilities },
      timePrecision: setup.timePrecision ?? 'millisecond',
      async caseDir(caseName) {
        const slug = caseName.replace(/[^\w-]+/g, '-')
        if (usedNames.has(slug)) throw new Error(`two cases share the directory name ${slug}`)
        usedNames.add(slug)
        const dir = join(mount().dir, slug)
        await mkdir(dir)
        return dir
      },
    }

    registerDataCases(context)
    registerNamespaceCases(context)
    registerMetadataCases(context)
    registerTreeCases(context)
  })
}
