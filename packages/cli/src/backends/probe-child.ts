import { writeSync } from 'node:fs'
import { BackendLoadError, loadBackendModule, oneLine } from './load.js'
import type { ProbeResult } from './probe.js'

// Run by probeBackend: node probe-child.js <module file> <how errors name it>; answers on fd 3.
const [file, where] = process.argv.slice(2) as [string, string]
let result: ProbeResult
try {
  const descriptor = await loadBackendModule(file, where)
  result = { loads: true, layer: descriptor.layer }
} catch (error) {
  result = { loads: false, problem: error instanceof BackendLoadError ? error.reason : oneLine(error) }
}
writeSync(3, JSON.stringify(result))
// The module may hold timers or handles open: they must not keep this process alive.
process.exit(0)
