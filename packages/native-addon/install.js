// The install script of a package with native addons, run by the package manager in that
// package's directory: "install": "node -e \"import('@fusekit/native-addon/install')\"" (found
// by Node's resolution beside the package, where a dependency's bin may not be on PATH: tarballs
// installed side by side with npm -g). Plain JavaScript, not built: in a fusekit checkout pnpm
// runs it before anything is built.
import { realpathSync } from 'node:fs'
import { sep } from 'node:path'

// An installed package lives in a node_modules directory. Anywhere else it is a checkout, whose
// build (pnpm build) compiles the addons.
if (!realpathSync(process.cwd()).split(sep).includes('node_modules')) process.exit(0)

const { installAddons } = await import('./dist/install.js')
process.exitCode = installAddons(process.cwd())
