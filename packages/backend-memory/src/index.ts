import { memoryBackend } from './backend.js'

export { memoryBackend }
export { MemoryFileSystem } from './memory-filesystem.js'
export { memoryOptions, parseSize, type MemoryOptions } from './options.js'

export default memoryBackend
