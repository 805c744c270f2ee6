import { describe, expect, it } from 'vitest'
import { abortable, linkAbort } from '../src/abortable.js'

describe('linkAbort', () => {
  it('aborts the target with the source reason while linked, and not after unlinking', () => {
    const source = new AbortController()
    const target = new AbortController()
    const unlink = linkAbort(source.signal, target)
    source.abort('gone')
    expect(target.signal.reason).toBe('gone')

    const later = new AbortController()
    const untouched = new AbortController()
    linkAbort(later.signal, untouched)()
    later.abort()
    expect(untouched.signal.aborted).toBe(false)
    unlink()
  })

  it('aborts the target at once when the source already is', () => {
    const target = new AbortController()
    linkAbort(AbortSignal.abort('early'), target)
    expect(target.signal.reason).toBe('early')
  })
})

describe('abortable', () => {
  it('gives up with EINTR when the signal aborts, leaving the shared work alone', async () => {
    const caller = new AbortController()
    let finish: (value: string) => void = () => undefined
    const shared = new Promise<string>((resolve) => (finish = resolve))
    const waiting = abortable(shared, caller.signal)
    caller.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'EINTR' })
    finish('done')
    await expect(abortable(shared, new AbortController().signal)).resolves.toBe('done')
  })
})
