import { missingFuseParts } from '@fusekit/core'
import { CliError } from './errors.js'

/**
 * Checks what a mount needs before trying one, so the user is told what to install rather than
 * getting a failure from deep inside libfuse.
 */
export function checkFuseEnvironment(driver: 'lowlevel' | 'fuse-native'): void {
  const [first] = missingFuseParts(driver)
  if (first) throw new CliError(`${first.part} is missing: ${first.hint}`)
}
