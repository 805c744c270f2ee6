import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { OpenFlags, ROOT_INO } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { closeReportsNothing } from '../src/close-reports.js'
import { asRoot, passthrough, sandbox } from './helpers.js'

/** Mounts a filesystem of `type` on `dir` for the length of `body` (the tests run as root). */
async function mounted<T>(type: string, dir: string, body: () => Promise<T>): Promise<T> {
  execFileSync('mount', ['-t', type, 'none', dir])
  try {
    return await body()
  } finally {
    execFileSync('umount', ['--lazy', dir])
  }
}

describe('closes that need no flush', () => {
  it('knows which filesystems report nothing at close: tmpfs does, ramfs and procfs may for all it knows, a missing path too', async () => {
    const box = sandbox()
    await mounted('tmpfs', box.source, async () => expect(closeReportsNothing(box.source)).toBe(true))
    await mounted('ramfs', box.source, async () => expect(closeReportsNothing(box.source)).toBe(false))
    expect(closeReportsNothing('/proc')).toBe(false)
    expect(closeReportsNothing(join(box.base, 'missing'))).toBe(false)
  })

  it("spares the flush of files on the source's own silent filesystem, not of one mounted beneath it", async () => {
    const box = sandbox()
    await mounted('tmpfs', box.source, async () => {
      const inner = join(box.source, 'inner')
      mkdirSync(inner)
      await mounted('ramfs', inner, async () => {
        const ops = await passthrough(box)
        try {
          const onSource = ops.create(asRoot, ROOT_INO, 'file', 0o644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT)
          const innerDir = ops.lookup(asRoot, ROOT_INO, 'inner') as { ino: number }
          const beneath = ops.create(asRoot, innerDir.ino, 'file', 0o644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT)
          expect([ops.flushNeeded(onSource.ino), ops.flushNeeded(beneath.ino)]).toEqual([false, true])
          await ops.release(asRoot, onSource.ino, onSource.fh)
          await ops.release(asRoot, beneath.ino, beneath.fh)
        } finally {
          await ops.destroy()
        }
      })
    })
    await mounted('ramfs', box.source, async () => {
      const ops = await passthrough(box)
      try {
        const file = ops.create(asRoot, ROOT_INO, 'file', 0o644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT)
        expect(ops.flushNeeded(file.ino)).toBe(true)
        await ops.release(asRoot, file.ino, file.fh)
      } finally {
        await ops.destroy()
      }
    })
  })
})
