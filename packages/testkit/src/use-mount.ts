import { afterAll, beforeAll, expect } from 'vitest'
import { startMount, type MountProcess } from './mount-process.js'

export interface SuiteMountSetup {
  /** Backend name as given to `fusekit mount`. */
  backend: string
  /** Command-line arguments after the mountpoint, computed when the suite starts. */
  args?: () => Promise<string[]> | string[]
  /** Runs after the mount stopped, to remove whatever `args` created. */
  teardown?: () => Promise<void> | void
  /** Mount as this ordinary user (see StartMountOptions.user), computed when the suite starts. */
  user?: () => Promise<{ uid: number; gid: number }> | { uid: number; gid: number }
  /** The mount process's environment (default: this process's), e.g. with credentials. */
  env?: NodeJS.ProcessEnv
}

/**
 * Mounts a backend in a child process for the enclosing describe block: up in beforeAll, and in
 * afterAll stopped with SIGTERM, which must unmount cleanly (exit 0, nothing left mounted).
 * Returns an accessor for the running mount.
 */
export function useMount(setup: SuiteMountSetup): () => MountProcess {
  let mount: MountProcess | undefined

  beforeAll(async () => {
    const args = (await setup.args?.()) ?? []
    mount = await startMount({ backend: setup.backend, args, user: await setup.user?.(), env: setup.env })
  })

  afterAll(async () => {
    try {
      if (!mount) return
      // stop() also fails when the process left its mount behind.
      const code = await mount.stop()
      expect(code, `the mount did not exit cleanly; its output:\n${mount.output()}`).toBe(0)
    } finally {
      await setup.teardown?.()
    }
  })

  return () => {
    if (!mount) throw new Error('the mount is not up: see the failure in beforeAll')
    return mount
  }
}
