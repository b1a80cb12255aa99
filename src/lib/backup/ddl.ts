import { ErpError, ErrorKind } from '../errors.js'
import { collected, inRestoreOrder } from './schema/collected.js'
import { readColumns } from './schema/columns.js'
import { comments } from './schema/comments.js'
import { DEPENDENCIES_SQL, orderByDependencies } from './schema/dependencies.js'
import { readFunctions } from './schema/functions.js'
import { defaultAcls, objectAcls } from './schema/grants.js'
import { readIndexes } from './schema/indexes.js'
import { preferIndexes, readMembers, type Members } from './schema/members.js'
import { readSequences } from './schema/sequences.js'
import { assertSupported } from './schema/supported.js'
import { readTables } from './schema/tables.js'
import { readTriggers } from './schema/triggers.js'
import { readTypes } from './schema/types.js'
import { readViews } from './schema/views.js'

export { splitSearchPath } from './schema/functions.js'

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
  /** Size of the table's own data file: 0 when it has never held a row (nothing to COPY). */
  heapSize: number
}

export interface SchemaDescription {
  doc: SchemaDoc
  tables: TableInfo[]
}

export interface TenantRoles {
  ownerRole: string
  loginRole: string
}

/**
 * The schema's DDL, one reader per kind of object (schema/*), each adding its statements where
 * they belong in the restore; then the pre-data objects are ordered by their dependencies.
 */
export async function describeSchema(sql: Sql, schema: string, roles: TenantRoles): Promise<SchemaDescription> {
  const [ns] = await sql<{ oid: number; comment: string | null }>(
    `select oid, obj_description(oid, 'pg_namespace') as comment from pg_namespace where nspname = $1`,
    [schema],
  )
  if (!ns) throw new ErpError(ErrorKind.NOT_FOUND, `Schema ${schema} does not exist`)
  // On failure the transaction is aborted, and the planner settings go with it.
  const restoreSettings = await preferIndexes(sql)
  const description = await describeMembers(sql, await readMembers(sql, ns.oid), schema, roles, ns.comment)
  await restoreSettings()
  return description
}

async function describeMembers(sql: Sql, m: Members, schema: string, roles: TenantRoles, schemaComment: string | null): Promise<SchemaDescription> {
  await assertSupported(sql, m, schema)
  const roleRef = (name: string | null): RoleRef =>
    name === null ? { kind: 'public' } : name === roles.ownerRole ? { kind: 'owner' } : name === roles.loginRole ? { kind: 'login' } : { kind: 'role', name }

  const out = collected()
  const columnsOf = await readColumns(sql, m)
  await readTypes(sql, m, columnsOf, out)
  const identityOf = await readSequences(sql, m, out)
  const { functionSettings, functionTarget } = await readFunctions(sql, m.nsp, schema, out)
  const tables = await readTables(sql, m, columnsOf, identityOf, out)
  await readViews(sql, m, out)
  await readIndexes(sql, m, out)
  await readTriggers(sql, m, out)
  out.post.comments.push(...(await comments(sql, m, functionTarget)))

  const edges = await sql<{ dependent: string; referenced: string }>(DEPENDENCIES_SQL, [m.nsp, m.relations, m.types])
  const statements = inRestoreOrder(out, orderByDependencies(out.pre, edges))

  return {
    doc: {
      statements,
      acls: await objectAcls(sql, m, roleRef, functionTarget),
      defaultAcls: await defaultAcls(sql, m.nsp, roleRef),
      functionSettings,
      schemaComment,
    },
    tables,
  }
}
