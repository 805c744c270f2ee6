import { z } from 'zod'
import { MIN_NODE_DESCRIPTORS } from './descriptor-budget.js'

const MAX_ID = 0xffff_fffe // (uid_t)-1 means "unchanged" in chown

const id = (what: string) =>
  z
    .number()
    .int()
    .min(0)
    .max(MAX_ID)
    .optional()
    .describe(`Show every file as owned by this ${what} id (display only: the source keeps its owners, and new files still belong to their maker)`)

/** Options of `fusekit mount passthrough`. */
export const passthroughOptions = z.object({
  source: z.string().min(1, 'must not be empty').describe('Directory to mirror through the mount (must exist)'),
  uid: id('user'),
  gid: id('group'),
  umask: z
    .string()
    .regex(/^[0-7]{1,4}$/, 'must be an octal mask such as 022')
    .transform((octal) => parseInt(octal, 8))
    .optional()
    .describe('Octal permission bits hidden from every mode shown, e.g. 022 (display only: the source keeps its modes)'),
  nodeDescriptors: z
    .number()
    .int()
    .min(MIN_NODE_DESCRIPTORS)
    .optional()
    .describe(
      'Most descriptors held for the files and directories the kernel knows; past it the least recently used are closed and reopened by name when needed. Default: three quarters of the descriptor limit',
    ),
})

export type PassthroughOptions = z.output<typeof passthroughOptions>
