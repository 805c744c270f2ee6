export { loadAddon } from './load-addon.js'
export { addonFiles, prebuildDir } from './addon-files.js'
export { readBinding, type BindingTarget } from './binding.js'
