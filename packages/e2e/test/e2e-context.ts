import { inject } from 'vitest'
import type { PackedPackage } from './packed-packages.js'

/** What test/pack-setup.ts made for every test file. */
export interface E2eContext {
  /** A temporary directory for everything the tests make: installs, mountpoints' sources, archives. */
  work: string
  packed: PackedPackage[]
  /** As PATH: every command of this machine but C and C++ compilers and make. */
  compilerFree: string
  /** As PATH: every command but C++ compilers (node-gyp builds the addons with a C compiler). */
  withoutCxx: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eContext
  }
}

export const e2e: E2eContext = inject('e2e')
