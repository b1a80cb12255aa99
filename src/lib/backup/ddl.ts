import { ErpError, ErrorKind } from '../errors.js'
import { quoteIdent, quoteLiteral } from '../db/identifiers.js'

/**
 * The DDL of one tenant schema, read from the catalogs. It must run in a transaction whose
 * search_path is the tenant schema alone: PostgreSQL's pg_get_*def functions then print the schema's
 * own objects unqualified, so the statements name no schema and replay into any other one. Names
 * that cannot be left out that way (the schema itself, roles in grants, search_path settings of
 * functions) are kept as structure and rendered at restore time for the new tenant (see render.ts).
 */

/** Run one query, return its rows. */
export type Sql = <R = Record<string, any>>(text: string, values?: unknown[]) => Promise<R[]>

export interface DdlStatement {
  /** 'pre' runs before the data is loaded, 'post' after (indexes, constraints, triggers...). */
  phase: 'pre' | 'post'
  kind: string
  name: string
  sql: string
}

/** A role named in a grant: the tenant's own roles are mapped to the new tenant's on restore. */
export type RoleRef = { kind: 'owner' } | { kind: 'login' } | { kind: 'public' } | { kind: 'role'; name: string }

export interface AclGrant {
  grantee: RoleRef
  privilege: string
  grantable: boolean
}

export interface ObjectAcl {
  /** 'TABLE "products"', 'FUNCTION "f"(integer)'...; null for the schema itself. */
  target: string | null
  /** Column privileges: GRANT SELECT ("col") ON TABLE ... */
  column?: string
  grants: AclGrant[]
}

export interface DefaultAcl {
  role: RoleRef
  objectType: string
  grants: AclGrant[]
}

/** A function's SET clauses, in their order; search_path may name the tenant schema. */
export interface FunctionSettings {
  /** 'FUNCTION "f"(integer)' */
  target: string
  settings: Array<
    | { name: string; value: string }
    /** Entries of a search_path; { self: true } is the tenant schema, whatever it is called. */
    | { name: 'search_path'; path: Array<{ self: true } | { name: string }> }
  >
}

export interface SchemaDoc {
  statements: DdlStatement[]
  acls: ObjectAcl[]
  defaultAcls: DefaultAcl[]
  functionSettings: FunctionSettings[]
  schemaComment: string | null
}

export interface TableInfo {
  oid: number
  name: string
  /** Columns whose values are copied (generated columns are computed again on restore). */
  columns: string[]
  /** On-disk size, to hand the biggest tables out first. */
  size: number
}

export interface SchemaDescription {
  doc: SchemaDoc
  tables: TableInfo[]
}

export interface TenantRoles {
  ownerRole: string
  loginRole: string
}

const RELKIND_WORD: Record<string, string> = {
  r: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', S: 'SEQUENCE', i: 'INDEX', c: 'TYPE',
}

export async function describeSchema(sql: Sql, schema: string, roles: TenantRoles): Promise<SchemaDescription> {
  const [ns] = await sql<{ oid: number; comment: string | null }>(
    `select oid, obj_description(oid, 'pg_namespace') as comment from pg_namespace where nspname = $1`,
    [schema],
  )
  if (!ns) throw new ErpError(ErrorKind.NOT_FOUND, `Schema ${schema} does not exist`)
  await assertSupported(sql, ns.oid, schema)
  const nsp = ns.oid
  const roleRef = (name: string | null): RoleRef =>
    name === null ? { kind: 'public' } : name === roles.ownerRole ? { kind: 'owner' } : name === roles.loginRole ? { kind: 'login' } : { kind: 'role', name }

  const pre = new Map<string, DdlStatement>()
  const statements: DdlStatement[] = []
  const late: DdlStatement[] = []
  const post: { values: DdlStatement[]; checks: DdlStatement[]; keys: DdlStatement[]; indexes: DdlStatement[]; fks: DdlStatement[]; triggers: DdlStatement[]; refresh: DdlStatement[]; comments: DdlStatement[] } = {
    values: [], checks: [], keys: [], indexes: [], fks: [], triggers: [], refresh: [], comments: [],
  }

  // ---- types: enums, domains, standalone composite types -------------------------------------
  const types = await sql(
    `select t.oid, t.typname, t.typtype, t.typnotnull, t.typdefault, t.typrelid,
            format_type(t.typbasetype, t.typtypmod) as basetype,
            (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) as labels,
            ${collationExpr('t.typcollation', '(select b.typcollation from pg_type b where b.oid = t.typbasetype)')} as collation
       from pg_type t left join pg_class c on c.oid = t.typrelid
      where t.typnamespace = $1 and (t.typtype in ('e', 'd') or (t.typtype = 'c' and c.relkind = 'c'))
      order by t.typname`,
    [nsp],
  )
  const domainChecks = await sql(
    `select k.contypid, k.conname, pg_get_constraintdef(k.oid, true) as def, k.convalidated
       from pg_constraint k join pg_type t on t.oid = k.contypid
      where t.typnamespace = $1 and k.contype = 'c' order by k.conname`,
    [nsp],
  )
  const attributes = await sql(
    `select a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull,
            a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid, true) as expr,
            ${collationExpr('a.attcollation', 't.typcollation')} as collation
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_type t on t.oid = a.atttypid
       left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where c.relnamespace = $1 and c.relkind in ('r', 'm', 'v', 'c') and a.attnum > 0 and not a.attisdropped
      order by a.attrelid, a.attnum`,
    [nsp],
  )
  const columnsOf = new Map<number, any[]>()
  for (const a of attributes) {
    if (!columnsOf.has(a.attrelid)) columnsOf.set(a.attrelid, [])
    columnsOf.get(a.attrelid)!.push(a)
  }
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

  // ---- sequences ------------------------------------------------------------------------------
  const sequences = await sql(
    `select c.oid, c.relname, format_type(s.seqtypid, null) as type, s.seqstart::text, s.seqincrement::text,
            s.seqmax::text, s.seqmin::text, s.seqcache::text, s.seqcycle,
            dep.refobjid as owner_rel, dep.deptype as owner_kind, a.attname as owner_column, tc.relname as owner_table
       from pg_sequence s join pg_class c on c.oid = s.seqrelid
       left join pg_depend dep on dep.classid = 'pg_class'::regclass and dep.objid = c.oid
            and dep.refclassid = 'pg_class'::regclass and dep.deptype in ('a', 'i')
       left join pg_class tc on tc.oid = dep.refobjid
       left join pg_attribute a on a.attrelid = dep.refobjid and a.attnum = dep.refobjsubid
      where c.relnamespace = $1 order by c.relname`,
    [nsp],
  )
  const identityOf = new Map<string, any>()
  for (const s of sequences) {
    const options = `START WITH ${s.seqstart} INCREMENT BY ${s.seqincrement} MINVALUE ${s.seqmin} MAXVALUE ${s.seqmax} CACHE ${s.seqcache}${s.seqcycle ? ' CYCLE' : ''}`
    const [value] = await sql<{ last_value: string; is_called: boolean }>(`select last_value::text, is_called from ${quoteIdent(s.relname)}`)
    post.values.push({
      phase: 'post', kind: 'sequence value', name: s.relname,
      sql: `SELECT pg_catalog.setval(${quoteLiteral(quoteIdent(s.relname))}, ${value.last_value}, ${value.is_called})`,
    })
    if (s.owner_kind === 'i') {
      identityOf.set(`${s.owner_rel}:${s.owner_column}`, { name: s.relname, options })
      continue
    }
    pre.set(`rel:${s.oid}`, { phase: 'pre', kind: 'sequence', name: s.relname, sql: `CREATE SEQUENCE ${quoteIdent(s.relname)} AS ${s.type} ${options}` })
    if (s.owner_kind === 'a') {
      late.push({ phase: 'pre', kind: 'sequence owner', name: s.relname, sql: `ALTER SEQUENCE ${quoteIdent(s.relname)} OWNED BY ${quoteIdent(s.owner_table)}.${quoteIdent(s.owner_column)}` })
    }
  }

  // ---- functions and procedures ---------------------------------------------------------------
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

  // ---- relations: tables, views, materialized views -------------------------------------------
  const relations = await sql(
    `select c.oid, c.relname, c.relkind, c.relpersistence, c.reloptions, c.relispopulated,
            pg_total_relation_size(c.oid) as size,
            case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid, true) end as viewdef
       from pg_class c where c.relnamespace = $1 and c.relkind in ('r', 'v', 'm') order by c.relname`,
    [nsp],
  )
  const checks = await sql(
    `select k.conrelid, k.conname, pg_get_constraintdef(k.oid, true) as def, k.contype, k.convalidated
       from pg_constraint k join pg_class c on c.oid = k.conrelid
      where c.relnamespace = $1 and k.contype in ('c', 'p', 'u', 'x', 'f')
      order by k.conrelid, k.conname`,
    [nsp],
  )
  const relName = new Map<number, string>(relations.map((r) => [r.oid, r.relname]))
  const tables: TableInfo[] = []
  for (const r of relations) {
    const name = quoteIdent(r.relname)
    const withOptions = r.reloptions?.length ? ` WITH (${(r.reloptions as string[]).map(reloption).join(', ')})` : ''
    if (r.relkind === 'v' || r.relkind === 'm') {
      const body = String(r.viewdef).trim().replace(/;$/, '')
      if (r.relkind === 'v') {
        pre.set(`rel:${r.oid}`, { phase: 'pre', kind: 'view', name: r.relname, sql: `CREATE VIEW ${name}${withOptions} AS\n${body}` })
      } else {
        pre.set(`rel:${r.oid}`, { phase: 'pre', kind: 'materialized view', name: r.relname, sql: `CREATE MATERIALIZED VIEW ${name}${withOptions} AS\n${body}\nWITH NO DATA` })
        if (r.relispopulated) post.refresh.push({ phase: 'post', kind: 'refresh', name: r.relname, sql: `REFRESH MATERIALIZED VIEW ${name}` })
      }
      continue
    }
    const cols = columnsOf.get(r.oid) ?? []
    const lines: string[] = cols.map((a) => {
      let line = `${quoteIdent(a.attname)} ${a.type}`
      if (a.collation) line += ` COLLATE ${a.collation}`
      if (a.attgenerated === 's') line += ` GENERATED ALWAYS AS (${a.expr}) STORED`
      if (a.attidentity) {
        const seq = identityOf.get(`${r.oid}:${a.attname}`)
        const options = seq ? ` (SEQUENCE NAME ${quoteIdent(seq.name)} ${seq.options})` : ''
        line += ` GENERATED ${a.attidentity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${options}`
      }
      if (a.attnotnull) line += ' NOT NULL'
      if (a.expr !== null && !a.attgenerated) {
        late.push({ phase: 'pre', kind: 'default', name: `${r.relname}.${a.attname}`, sql: `ALTER TABLE ONLY ${name} ALTER COLUMN ${quoteIdent(a.attname)} SET DEFAULT ${a.expr}` })
      }
      return line
    })
    for (const k of checks.filter((k) => k.conrelid === r.oid)) {
      const statement = (list: DdlStatement[], kind: string) =>
        list.push({ phase: 'post', kind, name: k.conname, sql: `ALTER TABLE ONLY ${name} ADD CONSTRAINT ${quoteIdent(k.conname)} ${k.def}` })
      if (k.contype === 'c' && k.convalidated) lines.push(`CONSTRAINT ${quoteIdent(k.conname)} ${k.def}`)
      else if (k.contype === 'c') statement(post.checks, 'constraint')
      else if (k.contype === 'f') statement(post.fks, 'foreign key')
      else statement(post.keys, 'constraint')
    }
    const unlogged = r.relpersistence === 'u' ? 'UNLOGGED ' : ''
    pre.set(`rel:${r.oid}`, {
      phase: 'pre', kind: 'table', name: r.relname,
      sql: `CREATE ${unlogged}TABLE ${name} (\n  ${lines.join(',\n  ')}\n)${withOptions}`,
    })
    tables.push({ oid: r.oid, name: r.relname, columns: cols.filter((a) => !a.attgenerated).map((a) => a.attname), size: Number(r.size) })
  }

  // ---- indexes and triggers -------------------------------------------------------------------
  const indexes = await sql(
    `select ic.relname, pg_get_indexdef(i.indexrelid, 0, true) as def
       from pg_index i join pg_class ic on ic.oid = i.indexrelid
      where ic.relnamespace = $1
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x'))
      order by ic.relname`,
    [nsp],
  )
  for (const i of indexes) post.indexes.push({ phase: 'post', kind: 'index', name: i.relname, sql: i.def })
  const triggers = await sql(
    `select t.tgname, t.tgrelid, t.tgenabled, pg_get_triggerdef(t.oid, true) as def
       from pg_trigger t join pg_class c on c.oid = t.tgrelid
      where c.relnamespace = $1 and not t.tgisinternal order by c.relname, t.tgname`,
    [nsp],
  )
  for (const t of triggers) {
    post.triggers.push({ phase: 'post', kind: 'trigger', name: t.tgname, sql: t.def })
    const state = { D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' }[t.tgenabled as string]
    if (state) {
      post.triggers.push({ phase: 'post', kind: 'trigger state', name: t.tgname, sql: `ALTER TABLE ${quoteIdent(relName.get(t.tgrelid)!)} ${state} TRIGGER ${quoteIdent(t.tgname)}` })
    }
  }

  // ---- comments -------------------------------------------------------------------------------
  post.comments.push(...(await comments(sql, nsp, functionTarget)))

  // ---- order the pre-data objects by their dependencies ---------------------------------------
  const edges = await sql<{ dependent: string; referenced: string }>(DEPENDENCIES_SQL, [nsp])
  statements.push(...orderByDependencies(pre, edges), ...late)
  statements.push(...post.values, ...post.checks, ...post.keys, ...post.indexes, ...post.fks, ...post.triggers, ...post.refresh, ...post.comments)

  return {
    doc: {
      statements,
      acls: await objectAcls(sql, nsp, roleRef, functionTarget),
      defaultAcls: await defaultAcls(sql, nsp, roleRef),
      functionSettings,
      schemaComment: ns.comment,
    },
    tables,
  }
}

/** The COLLATE clause's name when a column's collation differs from its type's default. */
function collationExpr(collation: string, typeDefault: string): string {
  return `(select quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
             from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
            where co.oid = ${collation} and ${collation} <> 0 and ${collation} <> coalesce(${typeDefault}, 0))`
}

/** A reloption `key=value` with its value quoted unless it is a plain word or number. */
function reloption(option: string): string {
  const eq = option.indexOf('=')
  const [key, value] = [option.slice(0, eq), option.slice(eq + 1)]
  return `${key}=${/^[A-Za-z0-9_.]+$/.test(value) ? value : quoteLiteral(value)}`
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

/**
 * Dependencies among the pre-data objects, each end resolved to the object that is created:
 * a view's rewrite rule to the view, a generated column's expression or a CHECK to its table, a
 * row or array type to its table or element type. Ordinary column defaults are left out: they are
 * set after every object exists.
 */
const DEPENDENCIES_SQL = `
with objects(classid, objid, key) as (
  select 'pg_class'::regclass, c.oid, 'rel:' || c.oid from pg_class c where c.relnamespace = $1 and c.relkind in ('r', 'v', 'm', 'c', 'S')
  union all
  select 'pg_proc'::regclass, p.oid, 'fn:' || p.oid from pg_proc p where p.pronamespace = $1
  union all
  select 'pg_type'::regclass, t.oid,
         case when e.oid is not null then (case when e.typrelid <> 0 then 'rel:' || e.typrelid else 'type:' || e.oid end)
              when t.typrelid <> 0 then 'rel:' || t.typrelid else 'type:' || t.oid end
    from pg_type t left join pg_type e on e.oid = t.typelem and e.typarray = t.oid
   where t.typnamespace = $1
  union all
  select 'pg_rewrite'::regclass, w.oid, 'rel:' || w.ev_class from pg_rewrite w join pg_class c on c.oid = w.ev_class where c.relnamespace = $1
  union all
  select 'pg_attrdef'::regclass, d.oid, 'rel:' || d.adrelid
    from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum join pg_class c on c.oid = d.adrelid
   where c.relnamespace = $1 and a.attgenerated <> ''
  union all
  select 'pg_constraint'::regclass, k.oid, case when k.contypid <> 0 then 'type:' || k.contypid else 'rel:' || k.conrelid end
    from pg_constraint k where k.connamespace = $1 and k.contype = 'c'
)
select distinct a.key as dependent, b.key as referenced
  from pg_depend d
  join objects a on a.classid = d.classid and a.objid = d.objid
  join objects b on b.classid = d.refclassid and b.objid = d.refobjid
 where a.key <> b.key and not (d.deptype in ('a', 'i') and a.key like 'rel:%' and d.classid = 'pg_class'::regclass)`

/** Topological order; a cycle is reported, not guessed around. */
function orderByDependencies(objects: Map<string, DdlStatement>, edges: Array<{ dependent: string; referenced: string }>): DdlStatement[] {
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

/** Objects a backup of erp's own cannot carry: refused up front, never left out silently. */
async function assertSupported(sql: Sql, nsp: number, schema: string): Promise<void> {
  const rows = await sql<{ what: string }>(
    `select pg_describe_object(classid, objid, 0) as what from (
       select 'pg_class'::regclass as classid, c.oid as objid from pg_class c
        where c.relnamespace = $1 and (c.relkind not in ('r', 'v', 'm', 'S', 'i', 'c') or c.relispartition or c.relrowsecurity)
       union all select 'pg_class'::regclass, i.inhrelid from pg_inherits i join pg_class c on c.oid = i.inhrelid where c.relnamespace = $1
       union all select 'pg_proc'::regclass, p.oid from pg_proc p join pg_language l on l.oid = p.prolang
        where p.pronamespace = $1 and (p.prokind = 'a' or l.lanname in ('c', 'internal'))
       union all select 'pg_type'::regclass, t.oid from pg_type t
        where t.typnamespace = $1 and t.typtype in ('b', 'r', 'm', 'p')
          and not exists (select 1 from pg_type e where e.typarray = t.oid)
       union all select 'pg_operator'::regclass, oid from pg_operator where oprnamespace = $1
       union all select 'pg_opclass'::regclass, oid from pg_opclass where opcnamespace = $1
       union all select 'pg_opfamily'::regclass, oid from pg_opfamily where opfnamespace = $1
       union all select 'pg_collation'::regclass, oid from pg_collation where collnamespace = $1
       union all select 'pg_conversion'::regclass, oid from pg_conversion where connamespace = $1
       union all select 'pg_ts_config'::regclass, oid from pg_ts_config where cfgnamespace = $1
       union all select 'pg_ts_dict'::regclass, oid from pg_ts_dict where dictnamespace = $1
       union all select 'pg_statistic_ext'::regclass, oid from pg_statistic_ext where stxnamespace = $1
       union all select 'pg_extension'::regclass, oid from pg_extension where extnamespace = $1
       union all select 'pg_policy'::regclass, p.oid from pg_policy p join pg_class c on c.oid = p.polrelid where c.relnamespace = $1
       union all select 'pg_rewrite'::regclass, r.oid from pg_rewrite r join pg_class c on c.oid = r.ev_class
        where c.relnamespace = $1 and r.rulename <> '_RETURN'
     ) o order by 1`,
    [nsp],
  )
  if (rows.length === 0) return
  const list = rows.map((r) => r.what)
  throw new ErpError(ErrorKind.FAILED, `Schema ${schema} holds objects erp backups cannot carry: ${list.slice(0, 10).join('; ')}${list.length > 10 ? ` and ${list.length - 10} more` : ''}`, {
    actions: [
      'erp backups carry tables, views, materialized views, sequences, indexes, constraints, functions, triggers, enums, domains, composite types, comments and grants.',
      `Remove the objects listed, or take this tenant's backup with pg_dump -n ${schema}.`,
    ],
    data: { schema, unsupported: list },
  })
}

async function comments(sql: Sql, nsp: number, functionTarget: Map<number, string>): Promise<DdlStatement[]> {
  const rows = await sql(
    `select 'rel' as what, c.relkind::text as kind, c.relname as name, null as sub, null::oid as oid, d.description
       from pg_description d join pg_class c on d.classoid = 'pg_class'::regclass and d.objoid = c.oid and d.objsubid = 0
      where c.relnamespace = $1
     union all
     select 'column', c.relkind::text, c.relname, a.attname, null, d.description
       from pg_description d join pg_class c on d.classoid = 'pg_class'::regclass and d.objoid = c.oid
       join pg_attribute a on a.attrelid = c.oid and a.attnum = d.objsubid
      where c.relnamespace = $1 and d.objsubid > 0
     union all
     select 'function', null, null, null, p.oid, d.description
       from pg_description d join pg_proc p on d.classoid = 'pg_proc'::regclass and d.objoid = p.oid where p.pronamespace = $1
     union all
     select 'type', t.typtype::text, t.typname, null, null, d.description
       from pg_description d join pg_type t on d.classoid = 'pg_type'::regclass and d.objoid = t.oid
      where t.typnamespace = $1 and t.typtype in ('e', 'd')
     union all
     select case when k.contypid <> 0 then 'domain constraint' else 'constraint' end, null,
            coalesce(c.relname, t.typname), k.conname, null, d.description
       from pg_description d join pg_constraint k on d.classoid = 'pg_constraint'::regclass and d.objoid = k.oid
       left join pg_class c on c.oid = k.conrelid left join pg_type t on t.oid = k.contypid
      where k.connamespace = $1
     union all
     select 'trigger', null, c.relname, tg.tgname, null, d.description
       from pg_description d join pg_trigger tg on d.classoid = 'pg_trigger'::regclass and d.objoid = tg.oid
       join pg_class c on c.oid = tg.tgrelid where c.relnamespace = $1
     order by 1, 3, 4`,
    [nsp],
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

async function objectAcls(sql: Sql, nsp: number, roleRef: (name: string | null) => RoleRef, functionTarget: Map<number, string>): Promise<ObjectAcl[]> {
  const rows = await sql(
    `select 'schema' as what, null as kind, null as name, null as col, null::oid as oid, case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end as grantee, x.privilege_type, x.is_grantable
       from pg_namespace n, aclexplode(n.nspacl) x where n.oid = $1
     union all
     select 'rel', c.relkind::text, c.relname, null, null, case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end as grantee, x.privilege_type, x.is_grantable
       from pg_class c, aclexplode(c.relacl) x where c.relnamespace = $1 and c.relkind in ('r', 'v', 'm', 'S')
     union all
     select 'column', c.relkind::text, c.relname, a.attname, null, case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end as grantee, x.privilege_type, x.is_grantable
       from pg_class c join pg_attribute a on a.attrelid = c.oid, aclexplode(a.attacl) x
      where c.relnamespace = $1 and c.relkind in ('r', 'v', 'm') and a.attnum > 0 and not a.attisdropped
     union all
     select 'function', null, null, null, p.oid, case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end as grantee, x.privilege_type, x.is_grantable from pg_proc p, aclexplode(p.proacl) x where p.pronamespace = $1
     union all
     select 'type', t.typtype::text, t.typname, null, null, case when x.grantee = 0 then null else pg_get_userbyid(x.grantee) end as grantee, x.privilege_type, x.is_grantable
       from pg_type t, aclexplode(t.typacl) x where t.typnamespace = $1 and t.typtype in ('e', 'd', 'c')
     order by 1, 3, 4, 5`,
    [nsp],
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

async function defaultAcls(sql: Sql, nsp: number, roleRef: (name: string | null) => RoleRef): Promise<DefaultAcl[]> {
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
