/** Backends the CLI ships with: command-line name → package (also a dependency in package.json). */
export const builtinBackends: Readonly<Record<string, string>> = {
  memory: '@fusekit/backend-memory',
  passthrough: '@fusekit/backend-passthrough',
  s3: '@fusekit/backend-s3',
}
