import { quoteIdent, quoteLiteral } from '../../db/identifiers.js'
import type { Sql } from '../ddl.js'
import type { Collected } from './collected.js'
import { collationExpr } from './columns.js'
import type { Members } from './members.js'

/** Enums, domains (their unvalidated checks after the data) and standalone composite types. */
export async function readTypes(sql: Sql, m: Members, columnsOf: Map<number, any[]>, out: Collected): Promise<void> {
  const { pre, post } = out
  const types = await sql(
    `select t.oid, t.typname, t.typtype, t.typnotnull, t.typdefault, t.typrelid,
            format_type(t.typbasetype, t.typtypmod) as basetype,
            (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) as labels,
            ${collationExpr('t.typcollation', '(select b.typcollation from pg_type b where b.oid = t.typbasetype)')} as collation
       from pg_type t left join pg_class c on c.oid = t.typrelid
      where t.oid = any($1) and (t.typtype in ('e', 'd') or (t.typtype = 'c' and c.relkind = 'c'))
      order by t.typname`,
    [m.types],
  )
  const domains = types.filter((t) => t.typtype === 'd').map((t) => t.oid)
  const domainChecks = domains.length === 0 ? [] : await sql(
    `select k.contypid, k.conname, pg_get_constraintdef(k.oid, true) as def, k.convalidated
       from pg_constraint k
      where k.contypid = any($1) and k.contype = 'c' order by k.conname`,
    [domains],
  )
  for (const t of types) {
    const name = quoteIdent(t.typname)
    if (t.typtype === 'e') {
      pre.set(`type:${t.oid}`, { phase: 'pre', kind: 'type', name: t.typname, sql: `CREATE TYPE ${name} AS ENUM (${(t.labels ?? []).map(quoteLiteral).join(', ')})` })
    } else if (t.typtype === 'd') {
      const parts = [`CREATE DOMAIN ${name} AS ${t.basetype}`]
      if (t.collation) parts.push(`COLLATE ${t.collation}`)
      if (t.typdefault !== null) parts.push(`DEFAULT ${t.typdefault}`)
      if (t.typnotnull) parts.push('NOT NULL')
      for (const k of domainChecks.filter((k) => k.contypid === t.oid)) {
        if (k.convalidated) parts.push(`CONSTRAINT ${quoteIdent(k.conname)} ${k.def}`)
        else post.checks.push({ phase: 'post', kind: 'constraint', name: k.conname, sql: `ALTER DOMAIN ${name} ADD CONSTRAINT ${quoteIdent(k.conname)} ${k.def}` })
      }
      pre.set(`type:${t.oid}`, { phase: 'pre', kind: 'domain', name: t.typname, sql: parts.join(' ') })
    } else {
      const attrs = (columnsOf.get(t.typrelid) ?? []).map((a) => `${quoteIdent(a.attname)} ${a.type}${a.collation ? ` COLLATE ${a.collation}` : ''}`)
      pre.set(`rel:${t.typrelid}`, { phase: 'pre', kind: 'type', name: t.typname, sql: `CREATE TYPE ${name} AS (${attrs.join(', ')})` })
    }
  }
}
