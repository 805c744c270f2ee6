import { missingFuseParts } from '@fusekit/core'

const INSTALL = 'FUSE is not available here: install it with apt-get install -y libfuse2 fuse'

/** Fails (never skips) when this machine cannot mount: FUSE tests must say what to install. */
export function assertFuseAvailable(): void {
  const missing = missingFuseParts().map((m) => m.part)
  if (missing.length > 0) throw new Error(`${INSTALL} (missing: ${missing.join(', ')})`)
}
