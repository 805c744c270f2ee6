import { promises as fs } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Errno, FsError, errnoName, mapErrno } from '../src/errno.js'

describe('FsError', () => {
  it('is built from a name or a number', () => {
    expect(new FsError('ENOENT').errno).toBe(2)
    expect(new FsError(Errno.EEXIST, 'already there').message).toBe('EEXIST: already there')
    expect(errnoName(99999)).toBe('E99999')
  })
})

describe('FsError.of', () => {
  it('is one frozen error per errno, by name or number, without a message', () => {
    const enoent = FsError.of('ENOENT')
    expect(FsError.of(Errno.ENOENT)).toBe(enoent)
    expect(enoent).toBeInstanceOf(FsError)
    expect([enoent.errno, enoent.code, enoent.message]).toEqual([Errno.ENOENT, 'ENOENT', 'ENOENT'])
    expect(Object.isFrozen(enoent)).toBe(true)
    expect(FsError.of('ENODATA')).not.toBe(enoent)
  })
})

describe('mapErrno', () => {
  it('converts a Node system error to the same errno', async () => {
    const error = await fs.stat('/definitely/not/here').catch((e: unknown) => e)
    const mapped = mapErrno(error)
    expect(mapped).toBeInstanceOf(FsError)
    expect(mapped?.errno).toBe(Errno.ENOENT)
    expect(mapped?.cause).toBe(error)
  })
  it('returns FsErrors as they are and undefined for non-system errors', () => {
    const e = new FsError('EIO')
    expect(mapErrno(e)).toBe(e)
    expect(mapErrno(new Error('plain'))).toBeUndefined()
    expect(mapErrno('text')).toBeUndefined()
  })
})
