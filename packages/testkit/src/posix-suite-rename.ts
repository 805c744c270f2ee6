import { link, mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { PosixSuiteContext } from './posix-suite.js'
import { eventually, expectErrno, freshStat } from './posix-suite-tools.js'

/** rename(2) as POSIX specifies it, each case in its own directory. */
export function registerRenameCases(suite: PosixSuiteContext): void {
  describe('rename', () => {
    it('moves a file to a new name', async () => {
      const dir = await suite.caseDir('rename plain')
      await writeFile(join(dir, 'a'), 'content of a')
      const { ino } = await stat(join(dir, 'a'))
      await rename(join(dir, 'a'), join(dir, 'b'))
      await expectErrno(stat(join(dir, 'a')), 'ENOENT')
      expect(await readFile(join(dir, 'b'), 'utf8')).toBe('content of a')
      expect((await stat(join(dir, 'b'))).ino).toBe(ino)
      expect(await readdir(dir)).toEqual(['b'])
    })

    it('moves a file across directories', async () => {
      const dir = await suite.caseDir('rename across')
      await mkdir(join(dir, 'from'))
      await mkdir(join(dir, 'to'))
      await writeFile(join(dir, 'from', 'f'), 'travels')
      await rename(join(dir, 'from', 'f'), join(dir, 'to', 'g'))
      expect(await readdir(join(dir, 'from'))).toEqual([])
      expect(await readFile(join(dir, 'to', 'g'), 'utf8')).toBe('travels')
      // A directory with contents moves as a whole.
      await mkdir(join(dir, 'from', 'sub'))
      await writeFile(join(dir, 'from', 'sub', 'inner'), 'inside')
      await rename(join(dir, 'from', 'sub'), join(dir, 'to', 'sub'))
      expect(await readFile(join(dir, 'to', 'sub', 'inner'), 'utf8')).toBe('inside')
      await expectErrno(stat(join(dir, 'from', 'sub')), 'ENOENT')
    })

    it('replaces an existing file atomically', async () => {
      const dir = await suite.caseDir('rename replace')
      const target = join(dir, 'target')
      await writeFile(join(dir, 'source'), 'new content')
      await writeFile(target, 'old content')
      const sourceIno = (await stat(join(dir, 'source'))).ino
      const oldIno = (await stat(target)).ino
      const oldOpen = await open(target, 'r')
      try {
        await rename(join(dir, 'source'), target)
        expect(await readFile(target, 'utf8')).toBe('new content')
        expect((await stat(target)).ino).toBe(sourceIno)
        // The replaced file lives on for whoever has it open.
        expect(await oldOpen.readFile('utf8')).toBe('old content')
      } finally {
        await oldOpen.close()
      }
      // Once closed, nothing is left of it.
      await eventually(async () => expect(await readdir(dir)).toEqual(['target']))
      expect((await stat(target)).ino).not.toBe(oldIno)

      // Readers racing with replacements only ever see one whole version. libfuse 2's high-level
      // API is path-based: an open (or fstat) that the kernel started on the replaced inode just
      // before the rename finds no path for it any more and fails with ENOENT; that is the one
      // failure allowed, and docs/architecture.md lists it as a limit of the binding.
      const versions = Array.from({ length: 100 }, (_, i) => Buffer.alloc(8192, i + 1))
      await writeFile(target, versions[0]!)
      const badReads: string[] = []
      let renaming = true
      const reader = (async () => {
        let reads = 0
        while (renaming || reads === 0) {
          try {
            const content = await readFile(target)
            if (!content.equals(Buffer.alloc(8192, content[0] ?? 0))) badReads.push(`a mixed or partial version of ${content.length} bytes`)
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOENT') badReads.push(String(error))
          }
          reads++
        }
        return reads
      })()
      try {
        for (const [i, version] of versions.entries()) {
          await writeFile(join(dir, `next-${i}`), version)
          await rename(join(dir, `next-${i}`), target)
        }
      } finally {
        renaming = false
      }
      expect(await reader).toBeGreaterThan(0)
      expect(badReads).toEqual([])
      expect((await readFile(target)).equals(versions[99]!)).toBe(true)
      await eventually(async () => expect(await readdir(dir)).toEqual(['target']))
    })

    it('renames a directory onto an empty directory', async () => {
      const dir = await suite.caseDir('rename dir onto empty')
      await mkdir(join(dir, 'full'))
      await writeFile(join(dir, 'full', 'file'), 'kept')
      await mkdir(join(dir, 'empty'))
      await rename(join(dir, 'full'), join(dir, 'empty'))
      expect(await readdir(dir)).toEqual(['empty'])
      expect(await readFile(join(dir, 'empty', 'file'), 'utf8')).toBe('kept')
    })

    it('refuses the renames POSIX forbids, changing nothing', async () => {
      const dir = await suite.caseDir('rename errors')
      await writeFile(join(dir, 'file'), 'f')
      await mkdir(join(dir, 'dir'))
      await mkdir(join(dir, 'full'))
      await writeFile(join(dir, 'full', 'inner'), 'i')
      await mkdir(join(dir, 'dir', 'sub'))

      await expectErrno(rename(join(dir, 'file'), join(dir, 'dir')), 'EISDIR')
      await expectErrno(rename(join(dir, 'dir'), join(dir, 'file')), 'ENOTDIR')
      await expectErrno(rename(join(dir, 'dir'), join(dir, 'full')), 'ENOTEMPTY')
      await expectErrno(rename(join(dir, 'dir'), join(dir, 'dir', 'sub', 'inside')), 'EINVAL')
      await expectErrno(rename(join(dir, 'missing'), join(dir, 'anything')), 'ENOENT')
      await expectErrno(rename(join(dir, 'file'), join(dir, 'no-such-dir', 'file')), 'ENOENT')

      expect((await readdir(dir)).sort()).toEqual(['dir', 'file', 'full'])
      expect(await readFile(join(dir, 'file'), 'utf8')).toBe('f')
      expect(await readdir(join(dir, 'dir'))).toEqual(['sub'])
      expect(await readdir(join(dir, 'full'))).toEqual(['inner'])
    })

    // Without hard links the refusal of link(2) is checked with the other link cases.
    if (suite.capabilities.hardlinks) {
      it('does nothing when renaming onto a hard link of itself', async () => {
        const dir = await suite.caseDir('rename onto own link')
        await writeFile(join(dir, 'a'), 'shared')
        await link(join(dir, 'a'), join(dir, 'b'))
        await rename(join(dir, 'a'), join(dir, 'b'))
        expect((await readdir(dir)).sort()).toEqual(['a', 'b'])
        const [a, b] = [await freshStat(join(dir, 'a')), await freshStat(join(dir, 'b'))]
        expect(a.ino).toBe(b.ino)
        expect(a.nlink).toBe(2)
        expect(await readFile(join(dir, 'a'), 'utf8')).toBe('shared')
      })
    }
  })
}
