import { invalidData } from '../errors.js'

/**
 * An operator's SQL script cut into its statements, the way PostgreSQL's lexer sees them: `;` ends
 * a statement only outside string literals ('…', E'…' with backslash escapes), quoted identifiers,
 * dollar-quoted bodies ($$…$$, $tag$…$tag$) and comments (--…, and /* … *\/, which nest).
 *
 * Hand-written because no maintained npm package lexes PostgreSQL's dialect (nested comments,
 * E-strings, dollar tags) without a full parser, and this only needs statement boundaries and
 * first words. It is not the wall: each statement is then sent on its own through the extended
 * query protocol, which makes PostgreSQL refuse a piece that still holds more than one command, so
 * a statement this lexer cut wrongly fails instead of running more than was checked.
 */

export interface ScriptStatement {
  /** The statement's text, without the closing `;`. */
  text: string
  /** 1-based line where it starts (after leading comments and blanks). */
  line: number
  /** Its first words, lower-cased, comments skipped: enough to tell what kind of command it is. */
  words: string[]
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/

export function splitScript(sql: string): ScriptStatement[] {
  const statements: ScriptStatement[] = []
  let start = 0
  let i = 0
  const push = (end: number) => {
    const statement = describe(sql, start, end)
    if (statement) statements.push(statement)
  }
  while (i < sql.length) {
    const c = sql[i]
    if (c === '-' && sql[i + 1] === '-') i = lineCommentEnd(sql, i)
    else if (c === '/' && sql[i + 1] === '*') i = blockCommentEnd(sql, i)
    else if (c === "'") i = stringEnd(sql, i, isEscapeString(sql, i))
    else if (c === '"') i = quotedEnd(sql, i, '"')
    else if (c === '$' && !(i > 0 && IDENT_CHAR.test(sql[i - 1]))) i = dollarEnd(sql, i)
    else if (c === ';') {
      push(i)
      start = ++i
    } else i++
  }
  push(sql.length)
  return statements
}

function lineCommentEnd(sql: string, i: number): number {
  const end = sql.indexOf('\n', i)
  return end === -1 ? sql.length : end + 1
}

function blockCommentEnd(sql: string, i: number): number {
  let depth = 0
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++
      i += 2
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--
      i += 2
      if (depth === 0) return i
    } else i++
  }
  return sql.length
}

/** E'…' (or e'…'), not part of a longer word such as `some'`. */
function isEscapeString(sql: string, quote: number): boolean {
  return quote > 0 && /[eE]/.test(sql[quote - 1]) && !(quote > 1 && IDENT_CHAR.test(sql[quote - 2]))
}

function stringEnd(sql: string, i: number, escapes: boolean): number {
  i++
  while (i < sql.length) {
    if (escapes && sql[i] === '\\') i += 2
    else if (sql[i] === "'") {
      if (sql[i + 1] === "'") i += 2
      else return i + 1
    } else i++
  }
  return sql.length
}

function quotedEnd(sql: string, i: number, quote: string): number {
  i++
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2
      else return i + 1
    } else i++
  }
  return sql.length
}

/** $tag$…$tag$ ($$ has an empty tag); a `$` that opens no tag ($1, a lone $) is an ordinary character. */
function dollarEnd(sql: string, i: number): number {
  let j = i + 1
  if (j < sql.length && IDENT_START.test(sql[j])) {
    j++
    while (j < sql.length && /[A-Za-z0-9_\u0080-\uffff]/.test(sql[j])) j++
  }
  if (sql[j] !== '$') return i + 1
  const tag = sql.slice(i, j + 1)
  const end = sql.indexOf(tag, j + 1)
  return end === -1 ? sql.length : end + tag.length
}

function describe(sql: string, start: number, end: number): ScriptStatement | undefined {
  const words: string[] = []
  let i = start
  let first = -1
  while (i < end && words.length < 3) {
    const c = sql[i]
    if (/\s/.test(c)) i++
    else if (c === '-' && sql[i + 1] === '-') i = lineCommentEnd(sql, i)
    else if (c === '/' && sql[i + 1] === '*') i = blockCommentEnd(sql, i)
    else if (IDENT_START.test(c)) {
      if (first < 0) first = i
      let j = i + 1
      while (j < end && IDENT_CHAR.test(sql[j])) j++
      words.push(sql.slice(i, j).toLowerCase())
      i = j
    } else {
      if (first < 0) first = i
      break
    }
  }
  if (first < 0) return undefined
  const line = sql.slice(0, first).split('\n').length
  return { text: sql.slice(first, end).trimEnd(), line, words }
}

/**
 * erp runs the script in a transaction of its own, as the tenant's owner: a statement that ends
 * or starts a transaction, or changes who the session is, would step out of that. Each is refused
 * with its line before anything runs.
 */
export function refuseSessionControl(statements: ScriptStatement[], file: string): void {
  const refused = statements
    .map((s) => ({ s, why: sessionControl(s.words) }))
    .filter((r): r is { s: ScriptStatement; why: string } => r.why !== undefined)
  if (!refused.length) return
  throw invalidData(
    `${file}: ${refused.map((r) => `line ${r.s.line}: ${r.why}`).join('; ')}.`,
    {
      actions: ['Remove these statements: erp runs the whole script in one transaction, as the tenant\'s owner role, and commits it (or rolls it back with --dry-run).'],
      data: { refused: refused.map((r) => ({ line: r.s.line, statement: r.s.words.join(' ') })) },
    },
  )
}

function sessionControl([first, second, third]: string[]): string | undefined {
  switch (first) {
    case 'begin': case 'start': case 'commit': case 'end': case 'abort':
      return `${first.toUpperCase()} controls the transaction`
    case 'rollback':
      return second === 'to' ? undefined : 'ROLLBACK controls the transaction'
    case 'prepare':
      return second === 'transaction' ? 'PREPARE TRANSACTION controls the transaction' : undefined
    case 'set': case 'reset': {
      const what = second === 'session' || second === 'local' ? third : second
      if (what === 'role' || what === 'authorization' || (second === 'session' && third === 'authorization')) {
        return `${first.toUpperCase()} ${second === 'session' || second === 'local' ? `${second.toUpperCase()} ` : ''}${what.toUpperCase()} changes who the session is`
      }
      return undefined
    }
    default:
      return undefined
  }
}
