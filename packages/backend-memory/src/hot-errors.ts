import { FsError } from '@fusekit/core'

// Answers on hot paths, made once: building an Error captures a stack trace, which costs more
// than the work itself. A failed lookup comes before every create, and the kernel asks for
// security.capability before every write. The kernel sees only the errno anyway.
export const NO_SUCH_ENTRY = new FsError('ENOENT', 'no such file or directory')
export const NO_SUCH_ATTRIBUTE = new FsError('ENODATA', 'no such attribute')
