import { FsError } from '@fusekit/core'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** An expected failure: printed as one line, without a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message)
  }
}

/** The command line was wrong: a missing argument, an unknown option, an invalid value. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE)
  }
}

/** The one-line message and exit code for an error; secrets are masked wherever they appear. */
export function describeError(error: unknown, secrets: readonly string[], verbose: boolean): { text: string; exitCode: number } {
  const expected = error instanceof CliError || error instanceof FsError
  let text = error instanceof Error ? error.message : String(error)
  // Unexpected errors are bugs (here or in a backend): the stack helps, but only when asked for.
  if (!expected && verbose && error instanceof Error && error.stack) text = error.stack
  return { text: mask(text, secrets), exitCode: error instanceof CliError ? error.exitCode : EXIT_FAILURE }
}

export function mask(text: string, secrets: readonly string[]): string {
  let masked = text
  for (const secret of secrets) if (secret.length > 0) masked = masked.split(secret).join('***')
  return masked
}
