/**
 * A value in PostgreSQL's COPY text format: \N for null, backslash escapes for backslash and the
 * separators (tab, newline, carriage return). Most values need none: tested before replacing.
 */
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }
const NEEDS_ESCAPE = /[\\\n\r\t]/
const ESCAPE_ALL = /[\\\n\r\t]/g

export function copyText(value: string | null): string {
  if (value === null) return '\\N'
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPE_ALL, (c) => ESCAPES[c]) : value
}
