// Date.now() has whole milliseconds: two changes a few microseconds apart would get one mtime,
// and a cache comparing mtimes could not tell them apart. performance.now() has microseconds but
// is the monotonic clock, which drifts from the wall clock (NTP slews and steps the wall clock;
// tests fake Date). So the time given is the monotonic clock anchored to the wall clock, and the
// anchor moves whenever the two disagree about which millisecond it is.

/** Wall-clock milliseconds at performance.now() = 0, as last anchored. */
let anchor = performance.timeOrigin
/** The last value given. */
let last = 0

/** A microsecond: more than a double can tell apart at today's epoch milliseconds (~0.25 µs). */
const NUDGE = 0.001

/**
 * The wall clock in milliseconds with a fraction: within the millisecond Date.now() gives (or a
 * microsecond past it), and after the value it gave before unless the wall clock itself went back
 * past that millisecond. (Choosing between the two clocks on each call, as before, sent time back
 * by up to a millisecond whenever they had drifted apart, and two changes could get one ctime.)
 */
export function preciseWallMillis(): number {
  const wall = Date.now()
  const monotonic = performance.now()
  let now = anchor + monotonic
  if (now < wall || now >= wall + 1) {
    // Re-anchored: just after the last value if that was in this millisecond, else at the
    // millisecond's start (the anchor lagged, or the wall clock stepped back).
    now = last >= wall && last < wall + 1 ? last + NUDGE : wall
    anchor = now - monotonic
  }
  last = now
  return now
}
