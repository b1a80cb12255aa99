/**
 * A lexer for PostgreSQL statement text, just enough to see its shape: which words stand outside
 * string literals, quoted identifiers, dollar quotes and comments, and at which parenthesis depth.
 * It follows the server's scanner with standard_conforming_strings on (how restore runs): '' inside
 * '…', backslash escapes only in E'…', nested /* comments *\/, $tag$ quotes, `$` inside identifiers.
 * It judges archive statements before any of them runs; the server stays the final word (restore
 * sends each statement through the extended protocol, which refuses two commands in one).
 */

export type TokenType = 'word' | 'ident' | 'string' | 'number' | 'punct' | 'op'

export interface SqlToken {
  type: TokenType
  /** Words upper-cased; identifiers unquoted; strings as written (with their quotes). */
  text: string
  /** Parenthesis depth outside the token: `(` and its `)` are both at the depth around them. */
  depth: number
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/
const OP_CHARS = '+-*/<>=~!@#%^&|`?'

/** The tokens of `text`, or a reason it is not one well-formed piece of SQL text. */
export function tokenize(text: string): { tokens: SqlToken[] } | { error: string } {
  const tokens: SqlToken[] = []
  let depth = 0
  let i = 0
  const push = (type: TokenType, value: string, at = depth) => tokens.push({ type, text: value, depth: at })
  while (i < text.length) {
    const c = text[i]
    const next = text[i + 1]
    if (/\s/.test(c)) {
      i++
    } else if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i)
      i = end === -1 ? text.length : end + 1
    } else if (c === '/' && next === '*') {
      let nesting = 0
      for (;;) {
        if (i >= text.length) return { error: 'an unterminated /* comment' }
        if (text.startsWith('/*', i)) {
          nesting++
          i += 2
        } else if (text.startsWith('*/', i)) {
          nesting--
          i += 2
          if (nesting === 0) break
        } else i++
      }
    } else if (c === "'") {
      const end = quotedEnd(text, i, "'", false)
      if (end < 0) return { error: 'an unterminated string literal' }
      push('string', text.slice(i, end))
      i = end
    } else if (c === '"') {
      const end = quotedEnd(text, i, '"', false)
      if (end < 0) return { error: 'an unterminated quoted identifier' }
      push('ident', text.slice(i + 1, end - 1).replaceAll('""', '"'))
      i = end
    } else if (c === '$' && /[A-Za-z_$\u0080-\uffff]/.test(next ?? '')) {
      const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i))
      if (!tag) return { error: 'a stray $' }
      const end = text.indexOf(tag[0], i + tag[0].length)
      if (end < 0) return { error: `an unterminated ${tag[0]} quote` }
      push('string', text.slice(i, end + tag[0].length))
      i = end + tag[0].length
    } else if (c === '$' && /[0-9]/.test(next ?? '')) {
      // $1: a parameter of an SQL-standard function body.
      let end = i + 1
      while (end < text.length && /[0-9]/.test(text[end])) end++
      push('word', text.slice(i, end))
      i = end
    } else if (WORD_START.test(c)) {
      // A prefix glued to a quote: E'…' (backslash escapes), U&'…' / U&"…", B'…', X'…', N'…'.
      if (/[EeBbXxNn]/.test(c) && next === "'") {
        const end = quotedEnd(text, i + 1, "'", c === 'E' || c === 'e')
        if (end < 0) return { error: 'an unterminated string literal' }
        push('string', text.slice(i, end))
        i = end
        continue
      }
      if (/[Uu]/.test(c) && next === '&' && (text[i + 2] === "'" || text[i + 2] === '"')) {
        const quote = text[i + 2]
        const end = quotedEnd(text, i + 2, quote, false)
        if (end < 0) return { error: 'an unterminated Unicode literal' }
        push(quote === "'" ? 'string' : 'ident', text.slice(i, end))
        i = end
        continue
      }
      let end = i + 1
      while (end < text.length && WORD_CHAR.test(text[end])) end++
      push('word', text.slice(i, end).toUpperCase())
      i = end
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next ?? ''))) {
      const m = /^(?:0[xXoObB][0-9A-Fa-f_]+|[0-9_]*\.?[0-9_]+(?:[eE][+-]?[0-9]+)?)/.exec(text.slice(i))!
      push('number', m[0])
      i += m[0].length
    } else if (c === '(') {
      push('punct', c)
      depth++
      i++
    } else if (c === ')') {
      if (depth === 0) return { error: 'an unbalanced )' }
      depth--
      push('punct', c)
      i++
    } else if ('[],;.:'.includes(c)) {
      // `::` casts and `:=` stay one token each; nothing here needs them apart.
      let end = i + 1
      if (c === ':' && (next === ':' || next === '=')) end++
      push('punct', text.slice(i, end))
      i = end
    } else if (OP_CHARS.includes(c)) {
      let end = i + 1
      while (end < text.length && OP_CHARS.includes(text[end]) && !text.startsWith('--', end) && !text.startsWith('/*', end)) end++
      push('op', text.slice(i, end))
      i = end
    } else {
      return { error: `an unexpected character ${JSON.stringify(c)}` }
    }
  }
  if (depth !== 0) return { error: 'an unbalanced (' }
  return { tokens }
}

/** Index just past the closing quote of the literal opening at `start`, or -1. */
function quotedEnd(text: string, start: number, quote: string, backslashEscapes: boolean): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]
    if (backslashEscapes && c === '\\') {
      i++
    } else if (c === quote) {
      if (text[i + 1] === quote) i++
      else return i + 1
    }
  }
  return -1
}
