/**
 * The fewest descriptors the nodes can be given: one call may need a few open at once (rename's
 * two directories, each reopened beneath its own) besides the root's.
 */
export const MIN_NODE_DESCRIPTORS = 16

/**
 * How many descriptors the nodes hold at most by default: three quarters of the process's limit,
 * leaving the rest for open files, the driver and Node itself.
 */
export function defaultNodeDescriptors(limit: number): number {
  return Math.max(MIN_NODE_DESCRIPTORS, Math.floor((limit * 3) / 4))
}
