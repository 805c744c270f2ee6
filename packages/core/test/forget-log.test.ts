import { describe, expect, it } from 'vitest'
import type { Logger } from '../src/logger.js'
import { FORGET_LOG_BYTES, ForgetLog } from '../src/lowlevel/forget-log.js'
import { runCaseTable } from './c-cases.js'

/** Appends a record as native/forget-log.c writes it. */
function append(log: Buffer, nodeid: number, nlookup: number): void {
  const at = log.readUInt32LE(4)
  log.writeBigUInt64LE(BigInt(nodeid), at)
  log.writeBigUInt64LE(BigInt(nlookup), at + 8)
  log.writeUInt32LE(log.readUInt32LE(0) + 1, 0)
  log.writeUInt32LE(at + 16, 4)
}

function logged(forget: (nodeid: number, nlookup: number) => void) {
  const errors: string[] = []
  const logger: Logger = { level: 'error', debug() {}, info() {}, warn() {}, error: (message) => void errors.push(message) }
  return { log: new ForgetLog(forget, logger), errors }
}

describe('FORGETs taken by the addon (native/forget-log.c)', () => {
  it('logs FORGET and BATCH_FORGET as the kernel sends them, leaves short, oversized and other requests, and those without room, to JavaScript, and is due half full', () => {
    expect(runCaseTable('forget-log-cases', ['native/forget-log.c'])).toEqual({ stdout: '6 cases passed\n', status: 0 })
  })
})

describe('ForgetLog: the FORGETs the addon logged, read before the next request', () => {
  it('gives back every lookup in order, a node id past 2^32 alike, then starts over', () => {
    const heard: string[] = []
    const { log } = logged((nodeid, nlookup) => heard.push(`${nodeid}:${nlookup}`))
    expect(log.bytes.length).toBe(FORGET_LOG_BYTES)
    expect(log.pending).toBe(false)
    append(log.bytes, 7, 1)
    append(log.bytes, 2 ** 40 + 3, 2)
    append(log.bytes, 7, 3)
    expect(log.pending).toBe(true)
    log.read()
    expect(heard).toEqual(['7:1', `${2 ** 40 + 3}:2`, '7:3'])
    expect(log.pending).toBe(false)
    expect(log.bytes.readUInt32LE(4)).toBe(8)
    append(log.bytes, 9, 1)
    log.read()
    expect(heard.at(-1)).toBe('9:1')
  })

  it('logs a forget that throws and goes on with the next node', () => {
    const heard: number[] = []
    const { log, errors } = logged((nodeid) => {
      if (nodeid === 4) throw new Error('no such node')
      heard.push(nodeid)
    })
    append(log.bytes, 4, 1)
    append(log.bytes, 5, 1)
    log.read()
    expect(heard).toEqual([5])
    expect(errors).toEqual(['forget of node 4: no such node'])
  })
})
