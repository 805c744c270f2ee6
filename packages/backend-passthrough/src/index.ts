import { passthroughBackend } from './descriptor.js'

export { passthroughBackend }
export { passthroughOptions, type PassthroughOptions } from './options.js'
export default passthroughBackend
