import { quoteIdent, quoteLiteral } from '../../db/identifiers.js'
import type { DdlStatement, Sql } from '../ddl.js'
import type { Members } from './members.js'

const RELKIND_WORD: Record<string, string> = {
  r: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', S: 'SEQUENCE', i: 'INDEX', c: 'TYPE',
}

/** COMMENT ON every commented object of the schema (the schema's own comment is kept apart). */
export async function comments(sql: Sql, m: Members, functionTarget: Map<number, string>): Promise<DdlStatement[]> {
  const rows = await sql(
    `select 'rel' as what, c.relkind::text as kind, c.relname as name, null as sub, null::oid as oid, d.description
       from pg_description d join pg_class c on d.classoid = 'pg_class'::regclass and d.objoid = c.oid and d.objsubid = 0
      where d.objoid = any($2)
     union all
     select 'column', c.relkind::text, c.relname, a.attname, null, d.description
       from pg_description d join pg_class c on d.classoid = 'pg_class'::regclass and d.objoid = c.oid
       join pg_attribute a on a.attrelid = c.oid and a.attnum = d.objsubid
      where d.objoid = any($2) and d.objsubid > 0
     union all
     select 'function', null, null, null, p.oid, d.description
       from pg_description d join pg_proc p on d.classoid = 'pg_proc'::regclass and d.objoid = p.oid where p.pronamespace = $1
     union all
     select 'type', t.typtype::text, t.typname, null, null, d.description
       from pg_description d join pg_type t on d.classoid = 'pg_type'::regclass and d.objoid = t.oid
      where d.objoid = any($3) and t.typtype in ('e', 'd')
     union all
     select case when k.contypid <> 0 then 'domain constraint' else 'constraint' end, null,
            coalesce(c.relname, t.typname), k.conname, null, d.description
       from pg_description d join pg_constraint k on d.classoid = 'pg_constraint'::regclass and d.objoid = k.oid
       left join pg_class c on c.oid = k.conrelid left join pg_type t on t.oid = k.contypid
      where (k.conrelid = any($2) or k.contypid = any($3)) and k.connamespace = $1
     union all
     select 'trigger', null, c.relname, tg.tgname, null, d.description
       from pg_description d join pg_trigger tg on d.classoid = 'pg_trigger'::regclass and d.objoid = tg.oid
       join pg_class c on c.oid = tg.tgrelid where tg.tgrelid = any($2)
     order by 1, 3, 4`,
    [m.nsp, m.relations, m.types],
  )
  return rows.map((r) => {
    let target: string
    switch (r.what) {
      case 'rel': target = `${RELKIND_WORD[r.kind]} ${quoteIdent(r.name)}`; break
      case 'column': target = `COLUMN ${quoteIdent(r.name)}.${quoteIdent(r.sub)}`; break
      case 'function': target = functionTarget.get(r.oid)!; break
      case 'type': target = `${r.kind === 'd' ? 'DOMAIN' : 'TYPE'} ${quoteIdent(r.name)}`; break
      case 'domain constraint': target = `CONSTRAINT ${quoteIdent(r.sub)} ON DOMAIN ${quoteIdent(r.name)}`; break
      case 'constraint': target = `CONSTRAINT ${quoteIdent(r.sub)} ON ${quoteIdent(r.name)}`; break
      default: target = `TRIGGER ${quoteIdent(r.sub)} ON ${quoteIdent(r.name)}`
    }
    return { phase: 'post' as const, kind: 'comment', name: target, sql: `COMMENT ON ${target} IS ${quoteLiteral(r.description)}` }
  })
}
