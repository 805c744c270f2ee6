import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeSampleTree } from '@fusekit/testkit'

/** Scratch directories made by the helpers, removed by removeScratch(). */
const scratch: string[] = []

export async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fusekit-archive-test-'))
  scratch.push(dir)
  return dir
}

export async function removeScratch(): Promise<void> {
  for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true })
}

/** GNU tar of a directory's contents, as `tar --format=<format> -C dir -cf archive .` makes it. */
export function tarOf(dir: string, archive: string, format: 'ustar' | 'pax' | 'gnu', extra: string[] = []): string {
  execFileSync('tar', [`--format=${format}`, '--sort=name', ...extra, '-C', dir, '-cf', archive, '.'])
  return archive
}

/** The kit's sample tree, packed by GNU tar in a format that holds its long names. */
export async function sampleArchive(format: 'pax' | 'gnu'): Promise<string> {
  const dir = await scratchDir()
  await mkdir(join(dir, 'tree'))
  await writeSampleTree(join(dir, 'tree'))
  return tarOf(join(dir, 'tree'), join(dir, `sample-${format}.tar`), format)
}

/** One ustar header block made by hand, for members GNU tar will not write. */
export function header(fields: { name: string; type?: string; size?: number; mode?: number; linkname?: string }): Buffer {
  const block = Buffer.alloc(512)
  const put = (offset: number, length: number, value: string) => block.write(value, offset, length, 'utf8')
  const octal = (offset: number, length: number, value: number) => put(offset, length, value.toString(8).padStart(length - 1, '0') + '\0')
  put(0, 100, fields.name)
  octal(100, 8, fields.mode ?? 0o644)
  octal(108, 8, 0)
  octal(116, 8, 0)
  octal(124, 12, fields.size ?? 0)
  octal(136, 12, 1_600_000_000)
  put(156, 1, fields.type ?? '0')
  put(157, 100, fields.linkname ?? '')
  put(257, 8, 'ustar\u000000')
  block.fill(0x20, 148, 156)
  const sum = block.reduce((total, byte) => total + byte, 0)
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ')
  return block
}

/** An archive of hand-made members: each header, its data padded to 512 bytes, then the end. */
export async function handMadeArchive(members: Array<{ header: Parameters<typeof header>[0]; data?: string }>): Promise<string> {
  const blocks = members.flatMap(({ header: fields, data = '' }) => {
    const bytes = Buffer.from(data)
    return [header({ ...fields, size: fields.size ?? bytes.length }), Buffer.concat([bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512)])]
  })
  const path = join(await scratchDir(), 'hand-made.tar')
  await writeFile(path, Buffer.concat([...blocks, Buffer.alloc(1024)]))
  return path
}
