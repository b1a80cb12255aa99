/**
 * The rules that keep SQL runnable on a Citus coordinator with schema-based sharding, checked on
 * the text of the SQL so that a single PostgreSQL server catches a regression. One set of rules
 * serves `erp migrate lint` (the SQL a migration sends) and the test over erp's own source.
 *
 * What Citus refuses, from its planner and DDL code (multi_router_planner.c,
 * create_distributed_table.c, the DROP handlers) for tables in a distributed schema:
 * - a non-IMMUTABLE function in INSERT … ON CONFLICT DO UPDATE SET or its WHERE;
 * - a non-IMMUTABLE function inside CASE or COALESCE of an UPDATE's SET or of a modification's
 *   WHERE (Citus evaluates stable functions once on the coordinator, which it cannot do for a
 *   branch that depends on the row);
 * - a VOLATILE function anywhere in an UPDATE or DELETE;
 * - a non-IMMUTABLE function in RETURNING;
 * - a join between a distributed table and a local one (pg_temp staging tables are local);
 * - DROP of several distributed objects in one statement;
 * - several statements in one prepared statement (a knex.raw with bindings is one).
 * A trigger runs on the worker against a shard named `<table>_<shardid>`, so a trigger function
 * must not look at its table's name or oid. Defaults and trigger bodies may call now(): they are
 * evaluated where the row is written.
 */

export type CitusRule =
  | 'citus-mutable-in-upsert'
  | 'citus-mutable-in-case'
  | 'citus-volatile-in-update'
  | 'citus-mutable-in-returning'
  | 'citus-trigger-table-name'
  | 'citus-temp-staging'
  | 'citus-multi-object-ddl'
  | 'citus-multi-statement'

export interface CitusFinding {
  rule: CitusRule
  message: string
}

const VOLATILE_CALLS = [
  'clock_timestamp', 'timeofday', 'random', 'random_normal', 'setseed', 'gen_random_uuid', 'uuid_generate_v\\d\\w*',
  'nextval', 'currval', 'lastval', 'setval', 'set_config',
]
const STABLE_CALLS = ['now', 'statement_timestamp', 'transaction_timestamp', 'current_setting', 'txid_current', 'pg_current_xact_id', 'to_char']
/** SQL value functions: stable, written without parentheses. */
const STABLE_KEYWORDS = ['current_timestamp', 'current_date', 'current_time', 'localtimestamp', 'localtime', 'current_user', 'session_user', 'current_role', 'current_schema']

const VOLATILE = new RegExp(`\\b(${VOLATILE_CALLS.join('|')})\\s*\\(`, 'i')
const MUTABLE = new RegExp(`\\b(?:(${[...VOLATILE_CALLS, ...STABLE_CALLS].join('|')})\\s*\\(|(${STABLE_KEYWORDS.join('|')})\\b)`, 'i')

/** The first non-IMMUTABLE call in the text, as written (`now()`, `current_date`), if any. */
export function mutableCall(code: string): string | undefined {
  const m = MUTABLE.exec(code)
  return m ? (m[1] ? `${m[1].toLowerCase()}()` : m[2].toLowerCase()) : undefined
}

/**
 * SQL with comments removed, string literals emptied and dollar-quoted bodies blanked, so that
 * patterns match code only. `bodies` collects the dollar-quoted bodies (function definitions).
 */
export function maskSql(sql: string, bodies: string[] = []): string {
  let out = ''
  let i = 0
  while (i < sql.length) {
    const c = sql[i]
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i)
      i = end === -1 ? sql.length : end
      out += ' '
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2)
      i = end === -1 ? sql.length : end + 2
      out += ' '
    } else if (c === "'") {
      let j = i + 1
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1
      out += "''"
      i = j + 1
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1)
      const stop = end === -1 ? sql.length : end + 1
      out += sql.slice(i, stop)
      i = stop
    } else if (c === '$' && /^\$[a-z_]*\$/i.test(sql.slice(i, i + 64))) {
      const tag = /^\$[a-z_]*\$/i.exec(sql.slice(i, i + 64))![0]
      const end = sql.indexOf(tag, i + tag.length)
      const stop = end === -1 ? sql.length : end + tag.length
      bodies.push(sql.slice(i + tag.length, end === -1 ? sql.length : end))
      out += `${tag} ${tag}`
      i = stop
    } else {
      out += c
      i++
    }
  }
  return out
}

/** SQL text as statements: splits on `;` outside quotes, dollar quotes and comments. */
export function splitStatements(sql: string): string[] {
  const out: string[] = []
  let current = ''
  let i = 0
  while (i < sql.length) {
    const c = sql[i]
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i)
      i = end === -1 ? sql.length : end + 1
      current += ' '
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2)
      i = end === -1 ? sql.length : end + 2
      current += ' '
    } else if (c === "'" || c === '"') {
      let j = i + 1
      while (j < sql.length && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1
      current += sql.slice(i, j + 1)
      i = j + 1
    } else if (c === '$' && /^\$[a-z_]*\$/i.test(sql.slice(i, i + 64))) {
      const tag = /^\$[a-z_]*\$/i.exec(sql.slice(i, i + 64))![0]
      const end = sql.indexOf(tag, i + tag.length)
      const stop = end === -1 ? sql.length : end + tag.length
      current += sql.slice(i, stop)
      i = stop
    } else if (c === ';') {
      if (current.trim()) out.push(current.trim())
      current = ''
      i++
    } else {
      current += c
      i++
    }
  }
  if (current.trim()) out.push(current.trim())
  return out
}

/** The text from `open` (an index just past an opening parenthesis) to its closing one. */
function parenthesised(code: string, open: number): string {
  let depth = 1
  for (let i = open; i < code.length; i++) {
    if (code[i] === '(') depth++
    else if (code[i] === ')' && --depth === 0) return code.slice(open, i)
  }
  return code.slice(open)
}

/** Every CASE … END (nested ones included) and every COALESCE(…) argument list of masked code. */
function caseAndCoalesce(code: string): string[] {
  const parts: string[] = []
  for (const m of code.matchAll(/\bcoalesce\s*\(/gi)) parts.push(parenthesised(code, m.index! + m[0].length))
  const words = [...code.matchAll(/\b(case|end)\b/gi)]
  const open: number[] = []
  for (const w of words) {
    if (w[1].toLowerCase() === 'case') open.push(w.index!)
    else if (open.length > 0) {
      const start = open.pop()!
      parts.push(code.slice(start, w.index! + 3))
    }
  }
  return parts
}

/** Masked code with every parenthesised part blanked: what is left are the statement's own clauses. */
function topLevel(code: string): string {
  let depth = 0
  let out = ''
  for (const c of code) {
    if (c === '(') depth++
    out += depth > 0 ? ' ' : c
    if (c === ')') depth = Math.max(0, depth - 1)
  }
  return out
}

type Verb = 'select' | 'insert' | 'update' | 'delete' | 'merge' | 'fragment'

interface Part {
  verb: Verb
  /** The part's own text: a WITH query's body, or the main statement after its WITH list. */
  own: string
  /** What Citus walks for this part: for the main statement, its WITH queries too. */
  whole: string
}

/**
 * A statement as its parts: each WITH query on its own, then the main statement. A text that
 * starts with no statement keyword is a fragment services splice into a statement (a SET list,
 * a CASE), checked as if it were part of an UPDATE.
 */
function statementParts(code: string): Part[] {
  const parts: Part[] = []
  const withHead = /^\s*\(?\s*with\s+(?:recursive\s+)?/i.exec(code)
  let i = withHead ? withHead[0].length : 0
  if (withHead) {
    for (;;) {
      // A `?` stands for WITH queries a service splices in (`with ${DELTAS}, up as (…)`).
      const spliced = /^\s*\?\s*,/.exec(code.slice(i))
      if (spliced) {
        i += spliced[0].length
        continue
      }
      const head = /^\s*[\w"]+\s*(?:\([^)]*\)\s*)?as\s+(?:not\s+)?(?:materialized\s+)?\(/i.exec(code.slice(i))
      if (!head) break
      const open = i + head[0].length
      const body = parenthesised(code, open)
      parts.push(...statementParts(body))
      i = open + body.length + 1
      const comma = /^\s*,/.exec(code.slice(i))
      if (!comma) break
      i += comma[0].length
    }
  }
  const own = code.slice(i)
  const verb = /^\s*\(?\s*(select|values|table|insert|update|delete|merge)\b/i.exec(own)?.[1].toLowerCase()
  const kind: Verb = !verb ? (withHead ? 'select' : 'fragment') : verb === 'values' || verb === 'table' ? 'select' : (verb as Verb)
  parts.push({ verb: kind, own, whole: code })
  return parts
}

const TABLE_NAME = /\btg_(table_name|relname|relid)\b/i
const TEMP_TABLE = /\bcreate\s+(?:(?:global|local)\s+)?(?:temp|temporary)\s+table\b|\bpg_temp\s*\./i
const DROP = /^\s*drop\s+(table|index|sequence|view|materialized\s+view|foreign\s+table|type|domain|function|procedure|routine|aggregate|schema|trigger|policy|collation|statistics)\s+(?:concurrently\s+)?(?:if\s+exists\s+)?([\s\S]*?)(?:\s+(?:cascade|restrict))?\s*$/i

/**
 * The rules for one statement, or a fragment of one as services build them. The trigger rule
 * looks inside function bodies; the others at the statement's own code (defaults and trigger
 * bodies run where the row is written, and may call now()).
 */
export function checkCitusStatement(sql: string): CitusFinding[] {
  const bodies: string[] = []
  const code = maskSql(sql, bodies)
  const findings: CitusFinding[] = []
  const add = (rule: CitusRule, message: string) => {
    if (!findings.some((f) => f.rule === rule)) findings.push({ rule, message })
  }
  for (const { verb, own, whole } of statementParts(code)) {
    const clauses = topLevel(own)
    const returning = clauses.search(/\breturning\b/i)
    if (verb === 'insert' || verb === 'fragment') {
      const upsert = /\bon\s+conflict\b[\s\S]*?\bdo\s+update\b/i.exec(clauses)
      const call = upsert && mutableCall(own.slice(upsert.index + upsert[0].length, returning === -1 ? own.length : returning))
      if (call) add('citus-mutable-in-upsert', `${call} in ON CONFLICT DO UPDATE: Citus refuses non-IMMUTABLE functions there (bind the time as a parameter)`)
    }
    if (verb === 'update' || verb === 'delete' || (verb === 'fragment' && !/\b(select|insert)\b/i.test(own))) {
      const call = caseAndCoalesce(own).map(mutableCall).find(Boolean)
      if (call) add('citus-mutable-in-case', `${call} inside CASE or COALESCE of an UPDATE or DELETE: Citus refuses non-IMMUTABLE functions there (bind the value as a parameter)`)
    }
    if (verb === 'update' || verb === 'delete') {
      const v = VOLATILE.exec(whole)
      if (v) add('citus-volatile-in-update', `${v[1].toLowerCase()}() in an UPDATE or DELETE: Citus refuses VOLATILE functions there (draw or bind the value first)`)
    }
    if (verb !== 'select' && returning !== -1) {
      const call = mutableCall(own.slice(returning))
      if (call) add('citus-mutable-in-returning', `${call} in RETURNING: Citus refuses non-IMMUTABLE functions there (return the column, format it in TypeScript)`)
    }
  }
  if (/\bcreate\s+(?:or\s+replace\s+)?function\b/i.test(code) && bodies.some((b) => TABLE_NAME.test(maskSql(b)))) {
    add('citus-trigger-table-name', 'a function tests TG_TABLE_NAME/TG_RELNAME/TG_RELID: on a Citus worker the table is a shard named <table>_<shardid> (pass what the trigger needs as a trigger argument, TG_ARGV)')
  }
  if (TEMP_TABLE.test(code)) {
    add('citus-temp-staging', 'a pg_temp table: Citus cannot join a local table with tenant tables (stage in an UNLOGGED table of the tenant schema, created and dropped in the same transaction)')
  }
  const drop = DROP.exec(code)
  if (drop && splitTopLevelCommas(drop[2]).length > 1) {
    add('citus-multi-object-ddl', `DROP ${drop[1].toUpperCase()} of several objects in one statement: Citus refuses to drop several distributed objects at once (one statement per object)`)
  }
  return findings
}

/** The rules for what one call sends (a knex.raw, a query event): one statement, then each one's rules. */
export function checkCitusSql(sql: string): CitusFinding[] {
  const statements = splitStatements(sql)
  const findings = statements.flatMap(checkCitusStatement)
  if (statements.length > 1) {
    findings.unshift({
      rule: 'citus-multi-statement',
      message: `${statements.length} statements in one call: Citus cannot put several commands into one prepared statement (one knex.raw per statement)`,
    })
  }
  return findings
}

function splitTopLevelCommas(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted
    else if (quoted) continue
    else if (text[i] === '(') depth++
    else if (text[i] === ')') depth--
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts.filter((p) => p.trim())
}
