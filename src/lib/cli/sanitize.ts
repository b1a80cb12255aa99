/**
 * Text from outside (CSV cells, tenant data, database values quoted in messages) on its way to a
 * terminal: it must not move the cursor, recolour, retitle or reorder the operator's screen, and a
 * 100,000-character value must not flood it.
 */

/** C0 and C1 controls and DEL; bidirectional overrides and isolates, which reorder what is shown. */
const UNSAFE = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g
const NAMED: Record<string, string> = { '\t': '\\t', '\r': '\\r' }

const visible = (ch: string) => {
  const code = ch.codePointAt(0)!
  return NAMED[ch] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
}

/**
 * Control characters made visible (ESC as \x1b, BEL as \x07, a bidi override as \u202e), so what
 * the input holds is shown rather than obeyed. Line breaks and tabs become spaces (a table cell), or
 * with `keepNewlines` line breaks stay (CR LF as LF) and tabs show as \t.
 */
export function sanitizeForTerminal(text: string, keepNewlines = false): string {
  const flattened = keepNewlines ? text.replace(/\r\n?/g, '\n') : text.replace(/\r\n|[\r\n\t]/g, ' ')
  return flattened.replace(UNSAFE, (ch) => (ch === '\n' ? ch : visible(ch)))
}

/** Characters JSON.stringify leaves raw that a terminal may still obey, as \u escapes (valid JSON). */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(/[\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`)
}

/** The longest line an error, warning or note shows; longer ones lose their middle. */
export const MAX_MESSAGE_LINE = 400
const KEEP_TAIL = 100

/**
 * `text` cut to at most `max` characters by taking out its middle, which says how much went: the
 * start (where: file, line, column, the value's beginning) and the end (what is wrong) stay.
 */
export function cutMiddle(text: string, max = MAX_MESSAGE_LINE): string {
  if (text.length <= max) return text
  const chars = [...text]
  if (chars.length <= max) return text
  const tail = Math.min(KEEP_TAIL, Math.floor(max / 4))
  const marker = (n: number) => `…[${n.toLocaleString('en-US')} characters left out]…`
  const head = Math.max(0, max - tail - marker(chars.length).length)
  return `${chars.slice(0, head).join('')}${marker(chars.length - head - tail)}${chars.slice(chars.length - tail).join('')}`
}

/** Every line of `text` cut to `max` characters. */
export function cutLongLines(text: string, max = MAX_MESSAGE_LINE): string {
  return text.length <= max ? text : text.split('\n').map((line) => cutMiddle(line, max)).join('\n')
}

/** A message for the terminal: controls made visible, long lines cut. */
export function forTerminal(message: string): string {
  return cutLongLines(sanitizeForTerminal(message, true))
}

/** Every string inside `value` (an error's message, actions, data) with its long lines cut. */
export function cutStrings<T>(value: T): T {
  if (typeof value === 'string') return cutLongLines(value) as T
  if (Array.isArray(value)) return value.map((v) => cutStrings(v)) as T
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cutStrings(v)])) as T
  }
  return value
}
