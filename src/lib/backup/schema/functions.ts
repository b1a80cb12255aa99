import { quoteIdent } from '../../db/identifiers.js'
import type { FunctionSettings, Sql } from '../ddl.js'
import type { Collected } from './collected.js'

/**
 * Functions and procedures. Their SET clauses are kept as structure (search_path may name the
 * schema); `functionTarget` names each one for comments and grants ('FUNCTION "f"(integer)').
 */
export async function readFunctions(sql: Sql, nsp: number, schema: string, out: Collected): Promise<{ functionSettings: FunctionSettings[]; functionTarget: Map<number, string> }> {
  const { pre } = out
  const functions = await sql(
    `select p.oid, p.proname, p.prokind, pg_get_function_arguments(p.oid) as args,
            pg_get_function_identity_arguments(p.oid) as identity_args, pg_get_function_result(p.oid) as result,
            l.lanname, p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel,
            p.procost::text, p.prorows::text, p.proretset, p.proconfig, p.prosrc,
            case when p.prosqlbody is not null then pg_get_function_sqlbody(p.oid) end as sqlbody
       from pg_proc p join pg_language l on l.oid = p.prolang
      where p.pronamespace = $1 and p.prokind in ('f', 'p', 'w') order by p.proname, p.oid`,
    [nsp],
  )
  const functionSettings: FunctionSettings[] = []
  const functionTarget = new Map<number, string>()
  for (const f of functions) {
    const word = f.prokind === 'p' ? 'PROCEDURE' : 'FUNCTION'
    const target = `${word} ${quoteIdent(f.proname)}(${f.identity_args})`
    functionTarget.set(f.oid, target)
    const parts = [`CREATE ${word} ${quoteIdent(f.proname)}(${f.args})`]
    if (f.prokind !== 'p') parts.push(`RETURNS ${f.result}`)
    parts.push(`LANGUAGE ${quoteIdent(f.lanname)}`)
    if (f.prokind === 'w') parts.push('WINDOW')
    if (f.prokind !== 'p') {
      parts.push({ i: 'IMMUTABLE', s: 'STABLE', v: 'VOLATILE' }[f.provolatile as string]!)
      if (f.proisstrict) parts.push('STRICT')
      if (f.proleakproof) parts.push('LEAKPROOF')
      parts.push(`PARALLEL ${{ s: 'SAFE', r: 'RESTRICTED', u: 'UNSAFE' }[f.proparallel as string]}`)
      parts.push(`COST ${f.procost}`)
      if (f.proretset) parts.push(`ROWS ${f.prorows}`)
    }
    if (f.prosecdef) parts.push('SECURITY DEFINER')
    if (f.proconfig?.length) {
      // Set after creation, in their order: search_path must name the schema restored into.
      functionSettings.push({
        target,
        settings: (f.proconfig as string[]).map((setting) => {
          const eq = setting.indexOf('=')
          const [name, value] = [setting.slice(0, eq), setting.slice(eq + 1)]
          return name.toLowerCase() === 'search_path'
            ? { name: 'search_path' as const, path: splitSearchPath(value).map((n) => (n === schema ? { self: true as const } : { name: n })) }
            : { name, value }
        }),
      })
    }
    parts.push(f.sqlbody ?? `AS ${dollarQuote(f.prosrc)}`)
    pre.set(`fn:${f.oid}`, { phase: 'pre', kind: f.prokind === 'p' ? 'procedure' : 'function', name: f.proname, sql: parts.join('\n  ') })
  }
  return { functionSettings, functionTarget }
}

/** A search_path value as PostgreSQL stores it ('"a", b') split into names. */
export function splitSearchPath(value: string): string[] {
  const names: string[] = []
  const re = /\s*(?:"((?:[^"]|"")*)"|([^,\s]+))\s*(?:,|$)/gy
  let m: RegExpExecArray | null
  while (re.lastIndex < value.length && (m = re.exec(value))) names.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2])
  return names
}

function dollarQuote(body: string): string {
  let tag = '$erp$'
  for (let n = 1; body.includes(tag); n++) tag = `$erp${n}$`
  return `${tag}${body}${tag}`
}
