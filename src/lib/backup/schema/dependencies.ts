import { ErpError, ErrorKind } from '../../errors.js'
import type { DdlStatement } from '../ddl.js'

/**
 * Dependencies among the pre-data objects, each end resolved to the object that is created:
 * a view's rewrite rule to the view, a generated column's expression or a CHECK to its table, a
 * row or array type to its table or element type. Ordinary column defaults are left out: they are
 * set after every object exists. $1 is the namespace, $2 and $3 its relations and types (members.ts).
 */
export const DEPENDENCIES_SQL = `
with objects(classid, objid, key) as (
  select 'pg_class'::regclass, c.oid, 'rel:' || c.oid from pg_class c where c.oid = any($2) and c.relkind in ('r', 'v', 'm', 'c', 'S')
  union all
  select 'pg_proc'::regclass, p.oid, 'fn:' || p.oid from pg_proc p where p.pronamespace = $1
  union all
  select 'pg_type'::regclass, t.oid,
         case when e.oid is not null then (case when e.typrelid <> 0 then 'rel:' || e.typrelid else 'type:' || e.oid end)
              when t.typrelid <> 0 then 'rel:' || t.typrelid else 'type:' || t.oid end
    from pg_type t left join pg_type e on e.oid = t.typelem and e.typarray = t.oid
   where t.oid = any($3)
  union all
  select 'pg_rewrite'::regclass, w.oid, 'rel:' || w.ev_class from pg_rewrite w where w.ev_class = any($2)
  union all
  select 'pg_attrdef'::regclass, d.oid, 'rel:' || d.adrelid
    from pg_attrdef d
   where d.adrelid = any($2)
     and (select a.attgenerated from pg_attribute a where a.attrelid = d.adrelid and a.attnum = d.adnum) <> ''
  union all
  select 'pg_constraint'::regclass, k.oid, case when k.contypid <> 0 then 'type:' || k.contypid else 'rel:' || k.conrelid end
    from pg_constraint k where k.conrelid = any($2) and k.contype = 'c'
  union all
  select 'pg_constraint'::regclass, k.oid, 'type:' || k.contypid
    from pg_constraint k where k.contypid = any($3) and k.contype = 'c'
)
select distinct a.key as dependent, b.key as referenced
  from objects a
  cross join lateral (select * from pg_depend d where d.classid = a.classid and d.objid = a.objid) d
  join objects b on b.classid = d.refclassid and b.objid = d.refobjid
 where a.key <> b.key and not (d.deptype in ('a', 'i') and a.key like 'rel:%' and d.classid = 'pg_class'::regclass)`

/** Topological order; a cycle is reported, not guessed around. */
export function orderByDependencies(objects: Map<string, DdlStatement>, edges: Array<{ dependent: string; referenced: string }>): DdlStatement[] {
  const KIND_ORDER = ['type', 'domain', 'sequence', 'function', 'procedure', 'table', 'view', 'materialized view']
  const keys = [...objects.keys()].sort((a, b) => {
    const [x, y] = [objects.get(a)!, objects.get(b)!]
    return KIND_ORDER.indexOf(x.kind) - KIND_ORDER.indexOf(y.kind) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)
  })
  const needs = new Map<string, string[]>()
  for (const { dependent, referenced } of edges) {
    if (!objects.has(dependent) || !objects.has(referenced)) continue
    if (!needs.has(dependent)) needs.set(dependent, [])
    needs.get(dependent)!.push(referenced)
  }
  const state = new Map<string, 'visiting' | 'done'>()
  const ordered: DdlStatement[] = []
  const visit = (key: string, path: string[]) => {
    if (state.get(key) === 'done') return
    if (state.get(key) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(key)), key].map((k) => objects.get(k)!.name).join(' -> ')
      throw new ErpError(ErrorKind.FAILED, `The schema's objects depend on each other in a cycle (${cycle}); erp cannot order them for a backup.`, {
        actions: ['Break the cycle (for example move a function call out of a column expression), or use pg_dump for this schema.'],
      })
    }
    state.set(key, 'visiting')
    for (const dep of needs.get(key) ?? []) visit(dep, [...path, key])
    state.set(key, 'done')
    ordered.push(objects.get(key)!)
  }
  for (const key of keys) visit(key, [])
  return ordered
}
