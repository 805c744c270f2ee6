// Every mount, mountpoint and child the bench creates registers its undo here, so that an error,
// Ctrl-C or SIGTERM still leaves no mount and no stray process behind. Undo steps are synchronous:
// they must also run from the 'exit' event, where nothing asynchronous can happen.

const steps = []
const children = new Set()

/** Registers an undo step; returns a function that runs it now (once) and forgets it. */
export function onCleanup(label, undo) {
  const step = { label, undo, done: false }
  steps.push(step)
  return () => runStep(step)
}

/** Tracks a running child (a workload) so that an interruption kills it before unmounting. */
export function trackChild(child) {
  children.add(child)
  child.once('exit', () => children.delete(child))
}

/** Runs every pending undo step, newest first. */
export function cleanupAll() {
  for (const child of children) child.kill('SIGKILL')
  while (steps.length > 0) runStep(steps[steps.length - 1])
}

export function installCleanupHandlers() {
  process.on('exit', cleanupAll)
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: unmounting and cleaning up\n`)
      cleanupAll()
      process.exit(code)
    })
  }
}

function runStep(step) {
  const index = steps.indexOf(step)
  if (index >= 0) steps.splice(index, 1)
  if (step.done) return
  step.done = true
  try {
    step.undo()
  } catch (error) {
    process.stderr.write(`cleanup of ${step.label} failed: ${error.message}\n`)
  }
}
