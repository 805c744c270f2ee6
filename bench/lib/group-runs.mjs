// The repetitions of one phase group, shared by both bench scripts.

/**
 * Runs `group` `runs` times on every target, recording into `samples`; a different target goes
 * first each time, so none always runs on a fresher system. A failed run is recorded as failed
 * for the group's phases, and the others go on.
 */
export async function runGroup(group, targets, runs, samples) {
  for (let rep = 1; rep <= runs; rep++) {
    for (const target of rotate(targets, rep - 1)) {
      process.stderr.write(`  ${group.key} run ${rep}/${runs} on ${target.name}...\n`)
      const record = (phaseId, value, ms, extra) => samples.record(phaseId, target.name, value, ms, extra)
      try {
        await group.run(target, rep, record)
      } catch (error) {
        process.stderr.write(`  ${group.key} failed on ${target.name}: ${error.message}\n`)
        for (const phase of group.phases) samples.fail(phase.id, target.name, error)
      }
    }
  }
}

/** `list` started at its `by`-th element. */
function rotate(list, by) {
  const k = by % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}
