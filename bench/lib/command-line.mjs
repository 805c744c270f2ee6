// What the bench scripts share on their command line: parsing with the usage on error, checked
// numbers, and leaving with a message.
import { parseArgs } from 'node:util'

export function fail(message, code) {
  process.stderr.write(message + '\n')
  process.exit(code)
}

/** node:util's parseArgs; a bad flag ends the run with its message and the usage (exit 2). */
export function parseCommandLine(config, usage) {
  try {
    return parseArgs(config)
  } catch (error) {
    fail(`${error.message}\n\n${usage}`, 2)
  }
}

export function positiveInteger(name, text) {
  const value = Number(text)
  if (!Number.isInteger(value) || value <= 0) fail(`--${name} must be a positive integer, got "${text}"`, 2)
  return value
}
