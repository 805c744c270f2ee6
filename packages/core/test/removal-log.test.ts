import { describe, expect, it } from 'vitest'
import { MountDirectoryRemovals } from '../src/directory-removals.js'
import type { Logger } from '../src/logger.js'
import { RemovalLog } from '../src/lowlevel/removal-log.js'

/** Appends a record as native/directory-removals.c writes it. */
function append(log: Buffer, parent: number, name: string): void {
  const count = log.readUInt32LE(0)
  const at = log.readUInt32LE(4)
  log.writeBigUInt64LE(BigInt(parent), at)
  log.writeUInt32LE(name.length, at + 8)
  log.write(name, at + 12, 'latin1')
  log.writeUInt32LE(count + 1, 0)
  log.writeUInt32LE(at + ((12 + name.length + 7) & ~7), 4)
}

function logged(listener: (parent: number, name: string) => void) {
  const errors: string[] = []
  const logger: Logger = { level: 'error', debug() {}, info() {}, warn() {}, error: (message) => void errors.push(message) }
  const removals = new MountDirectoryRemovals()
  removals.onRemoved(listener)
  const log = new RemovalLog(removals, logger)
  return { log, errors }
}

describe('RemovalLog: the names the addon removed, read before the next request', () => {
  it('tells the listener of every name in order, padded records and a node id past 2^32 alike, then starts over', () => {
    const heard: string[] = []
    const { log } = logged((parent, name) => heard.push(`${parent}:${name}`))
    expect(log.pending).toBe(false)
    append(log.bytes, 7, 'a')
    append(log.bytes, 2 ** 40 + 3, 'twelve-chars')
    append(log.bytes, 9, 'b.txt')
    expect(log.pending).toBe(true)
    log.read()
    expect(heard).toEqual(['7:a', `${2 ** 40 + 3}:twelve-chars`, '9:b.txt'])
    expect(log.pending).toBe(false)
    expect(log.bytes.readUInt32LE(4)).toBe(8)
    append(log.bytes, 7, 'c')
    log.read()
    expect(heard.at(-1)).toBe('7:c')
  })

  it('logs a listener that throws and goes on with the next name', () => {
    const heard: string[] = []
    const { log, errors } = logged((_parent, name) => {
      if (name === 'bad') throw new Error('no such node')
      heard.push(name)
    })
    append(log.bytes, 1, 'bad')
    append(log.bytes, 1, 'good')
    log.read()
    expect(heard).toEqual(['good'])
    expect(errors).toEqual(['after removing bad in node 1: no such node'])
  })
})
