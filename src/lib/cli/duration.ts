import { usageError } from '../errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }

/** '500ms', '5s', '15m', '2h', '7d' (a bare number is seconds) as milliseconds. */
export function parseDuration(input: string, what = 'duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)?\s*$/.exec(input)
  if (!match) {
    throw usageError(`Invalid ${what} ${JSON.stringify(input)}: use a number with a unit, e.g. 500ms, 5s, 15m, 2h, 7d.`)
  }
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 's'])
}

/** A duration in the largest unit that divides it, e.g. 7d, 15m, 5s, 250ms. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`
  }
  return `${ms}ms`
}
