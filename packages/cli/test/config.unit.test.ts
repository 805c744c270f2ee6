import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findConfigFile, readConfigFile } from '../src/config/config-file.js'
import { UsageError } from '../src/errors.js'

let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fusekit-config-'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

/** Writes `text` as `name` in a fresh directory; returns the file's path. */
async function configFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(root, 'dir-'))
  await writeFile(join(dir, name), text)
  return join(dir, name)
}

const problem = (path: string) => {
  try {
    readConfigFile(path)
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as Error).message
  }
  throw new Error(`${path} was accepted`)
}

describe('config file', () => {
  it('reads named mounts from JSON, making paths relative to the file absolute', async () => {
    const path = await configFile(
      'fusekit.config.json',
      JSON.stringify({
        mounts: {
          photos: { backend: 's3', mountpoint: '/mnt/photos', options: { bucket: 'photos' }, mountOptions: { readOnly: true, fuseOptions: ['noatime'] } },
          local: { backend: './backends/mine.js', mountpoint: 'mnt' },
        },
      }),
    )
    const dir = join(path, '..')
    const config = readConfigFile(path)
    expect(config.path).toBe(path)
    expect(config.mounts.get('photos')).toEqual({
      name: 'photos',
      file: path,
      backend: 's3',
      mountpoint: '/mnt/photos',
      options: { bucket: 'photos' },
      mountOptions: { readOnly: true, fuseOptions: ['noatime'] },
    })
    expect(config.mounts.get('local')).toMatchObject({ backend: join(dir, 'backends/mine.js'), mountpoint: join(dir, 'mnt'), options: {}, mountOptions: {} })
  })

  it('reads YAML, and JSON with YAML 1.2 rules (no "yes" booleans)', async () => {
    const path = await configFile('fusekit.config.yaml', 'mounts:\n  scratch:\n    backend: memory-x\n    options:\n      size: 1G\n      label: yes\n')
    expect(readConfigFile(path).mounts.get('scratch')?.options).toEqual({ size: '1G', label: 'yes' })
  })

  it('names the file and the field of each problem', async () => {
    const path = await configFile('fusekit.config.json', JSON.stringify({ mounts: { photos: { backend: 's3', mountpoint: 7, extra: true, mountOptions: { readOnly: 'yes', attrTimeout: -1, colour: 'red' } } } }))
    expect(problem(path)).toBe(
      `${path}: mounts.photos.mountpoint: Invalid input: expected string, received number; ` +
        'mounts.photos.mountOptions.readOnly: Invalid input: expected boolean, received string; ' +
        'mounts.photos.mountOptions.attrTimeout: Too small: expected number to be >=0; ' +
        'mounts.photos.mountOptions.colour: unknown field; mounts.photos.extra: unknown field',
    )
  })

  it('refuses entries named like a built-in backend or unlike a name, and a missing backend', async () => {
    const path = await configFile('fusekit.config.json', JSON.stringify({ mounts: { memory: { backend: 'memory' }, 'my mount': { backend: 'memory' }, empty: {} } }))
    expect(problem(path)).toBe(
      `${path}: mounts.memory: is the name of a built-in backend: choose another name for the mount; ` +
        'mounts["my mount"]: a named mount is named with letters, digits and . _ - (not starting with . _ -); ' +
        'mounts.empty.backend: Invalid input: expected string, received undefined',
    )
  })

  it("takes names that are only an object's inherited properties as names", async () => {
    const path = await configFile('fusekit.config.json', JSON.stringify({ mounts: { constructor: { backend: 'x' }, toString: { backend: 'y' } } }))
    expect([...readConfigFile(path).mounts.keys()]).toEqual(['constructor', 'toString'])
  })

  it('refuses a file without mounts, or with other top-level fields', async () => {
    expect(problem(await configFile('fusekit.config.json', ''))).toMatch(/: mounts: Invalid input: expected record, received undefined$/)
    expect(problem(await configFile('fusekit.config.json', '{"mounts": {}, "mount": {}}'))).toMatch(/: mount: unknown field$/)
  })

  it('reports a syntax error with its line and column, without the text of the file', async () => {
    const path = await configFile('fusekit.config.yml', 'mounts:\n  photos:\n    backend: s3\n    backend: hunter2\n')
    expect(problem(path)).toBe(`${path}: Map keys must be unique at line 4, column 5:`)
    const json = await configFile('fusekit.config.json', '{ "mounts": { "a": { "backend": "x", } }')
    expect(problem(json)).toMatch(new RegExp(`^${json}: .* at line 1, column \\d+:$`))
  })

  it('says when a file given does not exist', () => {
    expect(problem(join(root, 'nothing.json'))).toBe(`config file ${join(root, 'nothing.json')} does not exist`)
  })
})

describe('config file lookup', () => {
  it('takes the working directory first, then $XDG_CONFIG_HOME/fusekit', async () => {
    const cwd = await mkdtemp(join(root, 'cwd-'))
    const xdg = await mkdtemp(join(root, 'xdg-'))
    const env = { XDG_CONFIG_HOME: xdg }
    expect(findConfigFile(cwd, env)).toBeUndefined()
    await mkdir(join(xdg, 'fusekit'))
    await writeFile(join(xdg, 'fusekit', 'fusekit.config.yaml'), 'mounts: {}\n')
    expect(findConfigFile(cwd, env)).toBe(join(xdg, 'fusekit', 'fusekit.config.yaml'))
    await writeFile(join(cwd, 'fusekit.config.json'), '{"mounts": {}}')
    expect(findConfigFile(cwd, env)).toBe(join(cwd, 'fusekit.config.json'))
  })

  it('defaults $XDG_CONFIG_HOME to ~/.config', async () => {
    const cwd = await mkdtemp(join(root, 'cwd-'))
    const home = await mkdtemp(join(root, 'home-'))
    await mkdir(join(home, '.config', 'fusekit'), { recursive: true })
    await writeFile(join(home, '.config', 'fusekit', 'fusekit.config.yml'), 'mounts: {}\n')
    // os.homedir() follows $HOME.
    const saved = process.env.HOME
    process.env.HOME = home
    try {
      expect(findConfigFile(cwd, {})).toBe(join(home, '.config', 'fusekit', 'fusekit.config.yml'))
    } finally {
      process.env.HOME = saved
    }
  })

  it('refuses two config files in one directory', async () => {
    const cwd = await mkdtemp(join(root, 'cwd-'))
    await writeFile(join(cwd, 'fusekit.config.json'), '{"mounts": {}}')
    await writeFile(join(cwd, 'fusekit.config.yaml'), 'mounts: {}\n')
    expect(() => findConfigFile(cwd, {})).toThrow(new UsageError(`${join(cwd, 'fusekit.config.json')} and ${join(cwd, 'fusekit.config.yaml')} both exist: keep one`))
  })
})
