import { FsError } from '@fusekit/core'

/**
 * The records of a pax extended header ("<length> <key>=<value>\n", the length counting the
 * whole record in bytes), as a map. Values are UTF-8 and may hold anything but their own end.
 */
export function parsePaxRecords(data: Buffer, offset: number): Map<string, string> {
  const records = new Map<string, string>()
  let at = 0
  while (at < data.length && data[at] !== 0) {
    const space = data.indexOf(0x20, at)
    const length = Number(data.subarray(at, space).toString('latin1'))
    const record = data.subarray(space + 1, at + length)
    const equals = record.indexOf(0x3d)
    if (space < 0 || !Number.isInteger(length) || length <= 0 || equals < 0 || record[record.length - 1] !== 0x0a) {
      throw new FsError('EINVAL', `damaged pax header at byte ${offset}: record at ${at} is not "<length> <key>=<value>"`)
    }
    records.set(record.subarray(0, equals).toString('utf8'), record.subarray(equals + 1, record.length - 1).toString('utf8'))
    at += length
  }
  return records
}

/** A pax time ("1600000000.123456789", maybe negative) as seconds and nanoseconds. */
export function paxTime(value: string): { sec: number; nsec: number } {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value)
  if (!match) throw new FsError('EINVAL', `bad pax time "${value}"`)
  const [, sign, whole, fraction = ''] = match
  const nsec = Number(fraction.padEnd(9, '0').slice(0, 9))
  const sec = Number(whole)
  // -1.5 s is 2 s before the epoch plus half a second.
  return sign && nsec > 0 ? { sec: -sec - 1, nsec: 1_000_000_000 - nsec } : { sec: sign ? -sec : sec, nsec }
}
