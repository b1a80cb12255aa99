import { quoteIdent } from '../../db/identifiers.js'
import type { Sql } from '../ddl.js'
import type { Collected } from './collected.js'
import type { Members } from './members.js'

/** Triggers, and the state of those not simply enabled. */
export async function readTriggers(sql: Sql, m: Members, out: Collected): Promise<void> {
  const { post } = out
  const triggers = await sql(
    `select t.tgname, c.relname, t.tgenabled, pg_get_triggerdef(t.oid, true) as def
       from pg_trigger t join pg_class c on c.oid = t.tgrelid
      where t.tgrelid = any($1) and not t.tgisinternal order by c.relname, t.tgname`,
    [m.relations],
  )
  for (const t of triggers) {
    post.triggers.push({ phase: 'post', kind: 'trigger', name: t.tgname, sql: t.def })
    const state = { D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' }[t.tgenabled as string]
    if (state) {
      post.triggers.push({ phase: 'post', kind: 'trigger state', name: t.tgname, sql: `ALTER TABLE ${quoteIdent(t.relname)} ${state} TRIGGER ${quoteIdent(t.tgname)}` })
    }
  }
}
