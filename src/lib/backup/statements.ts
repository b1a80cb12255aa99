import { ErpError, ErrorKind } from '../errors.js'
import type { DdlStatement } from './ddl.js'
import { tokenize, type SqlToken } from './sql-tokens.js'

/**
 * What a schema.json statement may be: exactly the statement kinds describeSchema (ddl.ts) writes,
 * each starting with the command ddl.ts writes for it, in the phase it writes it in, and one
 * statement only. Whatever an archive's signature says, restore runs nothing else: no DO, COPY,
 * SET/RESET, GRANT (erp renders grants itself), transaction control, or a second command after
 * a `;`. The lexer judges the text before anything runs; the server enforces "one command" again
 * when restore sends each statement through the extended protocol.
 */

const I = Symbol('a name')
type Part = string | typeof I

interface Rule {
  phase: DdlStatement['phase']
  /** Accepted openings; the statement must start with one of them. */
  starts: Part[][]
  /** Whether the opening must be the whole statement. */
  exact?: boolean
  /** More checks on the tokens after the opening; returns the problem. */
  rest?: (rest: SqlToken[], all: SqlToken[]) => string | undefined
  /** SQL-standard bodies (BEGIN ATOMIC … END) hold `;` of their own. */
  body?: boolean
}

const top = (tokens: SqlToken[]) => tokens.filter((t) => t.depth === 0).map((t) => t.text)
const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i])
const oneCommand = (rest: SqlToken[]) =>
  rest.some((t) => t.depth === 0 && t.type === 'punct' && t.text === ',') ? 'a second subcommand after a top-level comma' : undefined

export const STATEMENT_RULES: Record<string, Rule> = {
  type: {
    phase: 'pre',
    starts: [['CREATE', 'TYPE', I, 'AS']],
    rest: (rest) => (same(top(rest), ['ENUM', '(', ')']) || same(top(rest), ['(', ')']) ? undefined : 'not an enum or composite type'),
  },
  domain: { phase: 'pre', starts: [['CREATE', 'DOMAIN', I, 'AS']] },
  sequence: {
    phase: 'pre',
    starts: [['CREATE', 'SEQUENCE', I, 'AS']],
    rest: (rest) => (rest.every((t) => t.type === 'word' || t.type === 'number' || t.text === '-') ? undefined : 'sequence options that are not words and numbers'),
  },
  function: { phase: 'pre', starts: [['CREATE', 'FUNCTION', I, '(']], rest: (_, all) => noSetClause(all), body: true },
  procedure: { phase: 'pre', starts: [['CREATE', 'PROCEDURE', I, '(']], rest: (_, all) => noSetClause(all), body: true },
  table: {
    phase: 'pre',
    starts: [['CREATE', 'TABLE', I], ['CREATE', 'UNLOGGED', 'TABLE', I]],
    // Columns, then storage options: never CREATE TABLE … AS <query>, which would run the query.
    rest: (rest) => (same(top(rest), ['(', ')']) || same(top(rest), ['(', ')', 'WITH', '(', ')']) ? undefined : 'more than a column list and storage options'),
  },
  view: { phase: 'pre', starts: [['CREATE', 'VIEW', I]] },
  'materialized view': {
    phase: 'pre',
    starts: [['CREATE', 'MATERIALIZED', 'VIEW', I]],
    // WITH NO DATA: creating it must not run its query (REFRESH does, as its own statement).
    rest: (rest) => (same(top(rest).slice(-3), ['WITH', 'NO', 'DATA']) ? undefined : 'not created WITH NO DATA'),
  },
  default: { phase: 'pre', starts: [['ALTER', 'TABLE', 'ONLY', I, 'ALTER', 'COLUMN', I, 'SET', 'DEFAULT']], rest: oneCommand },
  'sequence owner': { phase: 'pre', starts: [['ALTER', 'SEQUENCE', I, 'OWNED', 'BY', I, '.', I]], exact: true },
  'sequence value': { phase: 'post', starts: [['SELECT', 'PG_CATALOG', '.', 'SETVAL', '(']], rest: setvalArguments },
  constraint: {
    phase: 'post',
    starts: [['ALTER', 'TABLE', 'ONLY', I, 'ADD', 'CONSTRAINT', I], ['ALTER', 'DOMAIN', I, 'ADD', 'CONSTRAINT', I]],
    rest: oneCommand,
  },
  'foreign key': { phase: 'post', starts: [['ALTER', 'TABLE', 'ONLY', I, 'ADD', 'CONSTRAINT', I, 'FOREIGN', 'KEY']], rest: oneCommand },
  index: { phase: 'post', starts: [['CREATE', 'INDEX', I, 'ON'], ['CREATE', 'UNIQUE', 'INDEX', I, 'ON']] },
  trigger: { phase: 'post', starts: [['CREATE', 'TRIGGER', I], ['CREATE', 'CONSTRAINT', 'TRIGGER', I]] },
  'trigger state': {
    phase: 'post',
    starts: [
      ['ALTER', 'TABLE', I, 'DISABLE', 'TRIGGER', I],
      ['ALTER', 'TABLE', I, 'ENABLE', 'REPLICA', 'TRIGGER', I],
      ['ALTER', 'TABLE', I, 'ENABLE', 'ALWAYS', 'TRIGGER', I],
    ],
    exact: true,
  },
  refresh: { phase: 'post', starts: [['REFRESH', 'MATERIALIZED', 'VIEW', I]], exact: true },
  comment: { phase: 'post', starts: [['COMMENT', 'ON']], rest: commentParts },
}

/** Why a statement is not one restore may run, or undefined when it is. */
export function statementProblem(statement: DdlStatement): string | undefined {
  const rule = Object.hasOwn(STATEMENT_RULES, statement.kind) ? STATEMENT_RULES[statement.kind] : undefined
  if (!rule) return `kind ${JSON.stringify(statement.kind)} is not one erp backups write`
  if (statement.phase !== rule.phase) return `a ${statement.kind} statement belongs in phase "${rule.phase}", not "${statement.phase}"`
  const lexed = tokenize(statement.sql)
  if ('error' in lexed) return `its SQL has ${lexed.error}`
  const { tokens } = lexed
  const semicolon = misplacedSemicolon(tokens, rule.body === true)
  if (semicolon) return semicolon
  const command = rule.body ? tokens.filter((t) => t.text !== ';') : tokens
  const opening = rule.starts.find((parts) => opens(command, parts))
  if (!opening) return `its SQL does not start with ${describe(rule.starts[0])}`
  const rest = command.slice(opening.length)
  if (rule.exact && rest.length) return `its SQL goes on after ${describe(opening)}`
  return rule.rest?.(rest, command)
}

/**
 * Refuse any statement erp backups do not write, before running any of them. `source` names what
 * the statements came from, for the message ("Archive x.erp.tar").
 */
export function checkStatements(statements: DdlStatement[], source: string): void {
  statements.forEach((statement, index) => {
    const problem = statementProblem(statement)
    if (!problem) return
    throw new ErpError(ErrorKind.INVALID_DATA, `${source} holds a statement erp backups never write: statement ${index + 1} (${JSON.stringify(statement.kind)} ${JSON.stringify(statement.name)}): ${problem}`, {
      actions: ['Nothing was run. Do not restore it: it was altered or crafted. Use another archive of this tenant (erp backup list).'],
      data: { source, statement: index + 1, kind: statement.kind, name: statement.name, problem },
    })
  })
}

function opens(tokens: SqlToken[], parts: Part[]): boolean {
  return parts.length <= tokens.length && parts.every((part, i) => {
    const token = tokens[i]
    // PostgreSQL's own deparsing (pg_get_indexdef, pg_get_triggerdef) quotes a name only when it must.
    return part === I ? token.type === 'ident' || token.type === 'word' : (token.type === 'word' || token.type === 'punct') && token.text === part
  })
}

const describe = (parts: Part[]) => parts.map((p) => (p === I ? '"name"' : p)).join(' ').replace(' . ', '.')

/**
 * `;` ends a statement, so none may stand outside literals; only an SQL-standard function body
 * (BEGIN ATOMIC … END) holds some, tracked the way psql does (BEGIN and CASE open, END closes).
 */
function misplacedSemicolon(tokens: SqlToken[], body: boolean): string | undefined {
  let depth = 0
  for (const t of tokens) {
    if (body && t.type === 'word' && t.depth === 0) {
      if (t.text === 'BEGIN') depth++
      else if (t.text === 'CASE' && depth > 0) depth++
      else if (t.text === 'END' && depth > 0) depth--
    }
    if (t.type === 'punct' && t.text === ';' && !(body && depth > 0)) return 'a `;` outside quotes: more than one statement'
  }
  return body && depth !== 0 ? 'a BEGIN without its END' : undefined
}

/** SET clauses of a function are written separately (they may name the schema): never inline. */
function noSetClause(tokens: SqlToken[]): string | undefined {
  for (const t of tokens) {
    if (t.depth !== 0 || t.type !== 'word') continue
    if (t.text === 'AS' || t.text === 'BEGIN' || t.text === 'RETURN') return undefined
    if (t.text === 'SET') return 'a SET clause (erp writes function settings itself)'
  }
  return undefined
}

/** setval('"seq"', <integer>, true|false): the only SELECT an archive holds. */
function setvalArguments(rest: SqlToken[]): string | undefined {
  const texts = rest.map((t) => t.text)
  const [name, c1, ...tail] = rest
  const ok = name?.type === 'string' && /^'[^\\]*'$/.test(name.text) && c1?.text === ','
    && (same(tail.map((t) => t.type), ['number', 'punct', 'word', 'punct']) || same(tail.map((t) => t.type), ['op', 'number', 'punct', 'word', 'punct']))
    && (tail[0].type === 'number' || tail[0].text === '-')
    && /^[0-9]+$/.test(tail.at(-4)!.text) && texts.at(-3) === ',' && ['TRUE', 'FALSE'].includes(texts.at(-2)!) && texts.at(-1) === ')'
  return ok ? undefined : "not setval('<sequence>', <integer>, true|false)"
}

/** COMMENT ON <object> IS '<text>': the object is names and punctuation, the comment one literal. */
function commentParts(rest: SqlToken[]): string | undefined {
  const is = rest.findIndex((t) => t.depth === 0 && t.type === 'word' && t.text === 'IS')
  if (is < 1 || is !== rest.length - 2 || rest[is + 1].type !== 'string') return "not COMMENT ON <object> IS '<text>'"
  const target = rest.slice(0, is)
  return target.every((t) => t.type === 'word' || t.type === 'ident' || (t.type === 'punct' && '.,()[]'.includes(t.text)))
    ? undefined
    : 'an object name with more than names in it'
}
