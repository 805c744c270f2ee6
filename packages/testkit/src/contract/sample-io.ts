import type { Timespec } from '@fusekit/core'
import type { TreeReader, TreeWriter } from '../cases/index.js'
import type { ContractFs } from './contract-fs.js'

/** The sample tree written through a backend's operations. */
export function contractTreeWriter(fs: ContractFs): TreeWriter {
  return {
    mkdir: (path) => fs.mkdir(path, 0o755),
    writeFile: (path, content) => fs.writeFile(path, content, 0o644),
    symlink: (target, path) => fs.symlink(target, path),
    link: (existing, path) => fs.link(existing, path),
    chmod: (path, mode) => fs.chmod(path, mode),
    utimes: (path, seconds) => {
      const time: Timespec = { sec: seconds, nsec: 0 }
      return fs.utimens(path, time, time)
    },
  }
}

/** The sample tree read back through a backend's operations. */
export function contractTreeReader(fs: ContractFs): TreeReader {
  return {
    list: async (path) => (await fs.list(path)).map((name) => Buffer.from(name)),
    lstat: async (path) => {
      const attr = await fs.getattr(path)
      return { mode: attr.mode, size: attr.size, mtimeNs: BigInt(attr.mtime.sec) * 1_000_000_000n + BigInt(attr.mtime.nsec), ino: BigInt(attr.ino), nlink: attr.nlink }
    },
    readFile: (path) => fs.readFile(path),
    readlink: (path) => fs.readlink(path),
  }
}

/** A time as nanoseconds, to compare with the case assertions. */
export function nanoseconds(time: Timespec): bigint {
  return BigInt(time.sec) * 1_000_000_000n + BigInt(time.nsec)
}
