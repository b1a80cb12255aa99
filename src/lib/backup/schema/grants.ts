import { quoteIdent } from '../../db/identifiers.js'
import type { DefaultAcl, ObjectAcl, RoleRef, Sql } from '../ddl.js'
import type { Members } from './members.js'

/** The privileges granted on the schema and its objects, grantees as role references. */
export async function objectAcls(sql: Sql, m: Members, roleRef: (name: string | null) => RoleRef, functionTarget: Map<number, string>): Promise<ObjectAcl[]> {
  const rows = await sql(
    `select 'schema' as what, null as kind, null as name, null as col, null::oid as oid, case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end as grantee, x.privilege_type, x.is_grantable
       from pg_namespace n, aclexplode(n.nspacl) x where n.oid = $1
     union all
     select 'rel', c.relkind::text, c.relname, null, null, case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end as grantee, x.privilege_type, x.is_grantable
       from pg_class c, aclexplode(c.relacl) x where c.oid = any($2) and c.relkind in ('r', 'v', 'm', 'S')
     union all
     select 'column', c.relkind::text, c.relname, a.attname, null, case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end as grantee, x.privilege_type, x.is_grantable
       from pg_class c join pg_attribute a on a.attrelid = c.oid, aclexplode(a.attacl) x
      where c.oid = any($2) and c.relkind in ('r', 'v', 'm') and a.attnum > 0 and not a.attisdropped
     union all
     select 'function', null, null, null, p.oid, case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end as grantee, x.privilege_type, x.is_grantable from pg_proc p, aclexplode(p.proacl) x where p.pronamespace = $1
     union all
     select 'type', t.typtype::text, t.typname, null, null, case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end as grantee, x.privilege_type, x.is_grantable
       from pg_type t, aclexplode(t.typacl) x where t.oid = any($3) and t.typtype in ('e', 'd', 'c')
     order by 1, 3, 4, 5`,
    [m.nsp, m.relations, m.types],
  )
  const byTarget = new Map<string, ObjectAcl>()
  for (const r of rows) {
    let target: string | null
    switch (r.what) {
      case 'schema': target = null; break
      case 'rel': case 'column': target = `${r.kind === 'S' ? 'SEQUENCE' : 'TABLE'} ${quoteIdent(r.name)}`; break
      case 'function': target = functionTarget.get(r.oid)!; break
      default: target = `${r.kind === 'd' ? 'DOMAIN' : 'TYPE'} ${quoteIdent(r.name)}`
    }
    const key = `${r.what}|${target}|${r.col ?? ''}`
    if (!byTarget.has(key)) byTarget.set(key, { target, ...(r.col ? { column: r.col } : {}), grants: [] })
    byTarget.get(key)!.grants.push({ grantee: roleRef(r.grantee), privilege: r.privilege_type, grantable: r.is_grantable })
  }
  return [...byTarget.values()]
}

/** ALTER DEFAULT PRIVILEGES set in the schema. */
export async function defaultAcls(sql: Sql, nsp: number, roleRef: (name: string | null) => RoleRef): Promise<DefaultAcl[]> {
  const rows = await sql(
    `select pg_get_userbyid(d.defaclrole) as role, d.defaclobjtype::text as objtype,
            case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end as grantee, x.privilege_type, x.is_grantable
       from pg_default_acl d, aclexplode(d.defaclacl) x where d.defaclnamespace = $1 order by 1, 2, 3, 4`,
    [nsp],
  )
  const OBJECTS: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES' }
  const result = new Map<string, DefaultAcl>()
  for (const r of rows) {
    const key = `${r.role}|${r.objtype}`
    if (!result.has(key)) result.set(key, { role: roleRef(r.role), objectType: OBJECTS[r.objtype] ?? r.objtype, grants: [] })
    result.get(key)!.grants.push({ grantee: roleRef(r.grantee), privilege: r.privilege_type, grantable: r.is_grantable })
  }
  return [...result.values()]
}
