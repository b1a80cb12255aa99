import { ErpError, ErrorKind } from '../errors.js'
import type { AclGrant, DdlStatement, DefaultAcl, FunctionSettings, ObjectAcl, RoleRef, SchemaDoc } from './ddl.js'
import { checkStatements } from './statements.js'
import { tokenize } from './sql-tokens.js'

/**
 * schema.json as read from an archive: checked field by field before anything uses it, so a crafted
 * one is refused with a clear message (never "Cannot read properties of undefined"), and the parts
 * restore renders into SQL itself (grant targets, privileges, setting names) are the shapes
 * describeSchema writes, nothing more. Then every statement is checked (statements.ts).
 */
export function parseSchemaDoc(value: unknown, source: string): SchemaDoc {
  const fail = (where: string, what: string): never => {
    throw new ErpError(ErrorKind.INVALID_DATA, `${source} has a malformed schema.json: ${where} ${what}`, {
      actions: ['Nothing was run. Do not restore it: it was altered or crafted, or written by an erp that is not compatible. Use another archive (erp backup list).'],
      data: { source, field: where, problem: what },
    })
  }
  const object = (v: unknown, where: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(where, 'is not an object')
  const array = (v: unknown, where: string): unknown[] => (Array.isArray(v) ? v : fail(where, 'is not a list'))
  const string = (v: unknown, where: string): string => (typeof v === 'string' ? v : fail(where, 'is not a string'))
  const name = (v: unknown, where: string): string => {
    const s = string(v, where)
    return s.length > 0 && s.length <= 63 && !s.includes('\0') ? s : fail(where, 'is not a valid SQL name')
  }

  const roleRef = (v: unknown, where: string): RoleRef => {
    const r = object(v, where)
    if (r.kind === 'owner' || r.kind === 'login' || r.kind === 'public') return { kind: r.kind }
    if (r.kind === 'role') return { kind: 'role', name: name(r.name, `${where}.name`) }
    return fail(`${where}.kind`, 'is not owner, login, public or role')
  }
  const grants = (v: unknown, where: string, privileges: ReadonlySet<string>): AclGrant[] =>
    array(v, where).map((g, i) => {
      const o = object(g, `${where}[${i}]`)
      const privilege = string(o.privilege, `${where}[${i}].privilege`)
      if (!privileges.has(privilege)) fail(`${where}[${i}].privilege`, `is not a privilege erp grants (${JSON.stringify(privilege)})`)
      if (typeof o.grantable !== 'boolean') fail(`${where}[${i}].grantable`, 'is not true or false')
      return { grantee: roleRef(o.grantee, `${where}[${i}].grantee`), privilege, grantable: o.grantable as boolean }
    })

  const doc = object(value, 'the document')
  const statements = array(doc.statements, 'statements').map((s, i): DdlStatement => {
    const o = object(s, `statements[${i}]`)
    if (o.phase !== 'pre' && o.phase !== 'post') fail(`statements[${i}].phase`, 'is not "pre" or "post"')
    return { phase: o.phase as DdlStatement['phase'], kind: string(o.kind, `statements[${i}].kind`), name: string(o.name, `statements[${i}].name`), sql: string(o.sql, `statements[${i}].sql`) }
  })
  const acls = array(doc.acls, 'acls').map((a, i): ObjectAcl => {
    const o = object(a, `acls[${i}]`)
    const target = o.target === null ? null : string(o.target, `acls[${i}].target`)
    if (target !== null && !objectTarget(target)) fail(`acls[${i}].target`, 'is not a table, sequence, type, domain or function name')
    const acl: ObjectAcl = { target, grants: grants(o.grants, `acls[${i}].grants`, target === null ? SCHEMA_PRIVILEGES : OBJECT_PRIVILEGES) }
    if (o.column !== undefined) {
      if (target === null || !target.startsWith('TABLE ')) fail(`acls[${i}].column`, 'is set on something that is not a table')
      acl.column = name(o.column, `acls[${i}].column`)
    }
    return acl
  })
  const defaultAcls = array(doc.defaultAcls, 'defaultAcls').map((a, i): DefaultAcl => {
    const o = object(a, `defaultAcls[${i}]`)
    const objectType = string(o.objectType, `defaultAcls[${i}].objectType`)
    if (!DEFAULT_ACL_OBJECTS.has(objectType)) fail(`defaultAcls[${i}].objectType`, 'is not TABLES, SEQUENCES, FUNCTIONS or TYPES')
    return { role: roleRef(o.role, `defaultAcls[${i}].role`), objectType, grants: grants(o.grants, `defaultAcls[${i}].grants`, OBJECT_PRIVILEGES) }
  })
  const functionSettings = array(doc.functionSettings ?? [], 'functionSettings').map((f, i): FunctionSettings => {
    const o = object(f, `functionSettings[${i}]`)
    const target = string(o.target, `functionSettings[${i}].target`)
    if (!/^(FUNCTION|PROCEDURE) /.test(target) || !objectTarget(target)) fail(`functionSettings[${i}].target`, 'is not a function name')
    const settings = array(o.settings, `functionSettings[${i}].settings`).map((s, j) => {
      const where = `functionSettings[${i}].settings[${j}]`
      const setting = object(s, where)
      const settingName = string(setting.name, `${where}.name`)
      // Settings that change who runs the function are not a function's to carry.
      if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(settingName) || /^(role|session_authorization)$/i.test(settingName)) fail(`${where}.name`, 'is not a setting a function may carry')
      if (settingName.toLowerCase() === 'search_path' && setting.path !== undefined) {
        const path = array(setting.path, `${where}.path`).map((p, k) => {
          const entry = object(p, `${where}.path[${k}]`)
          if (entry.self === true) return { self: true as const }
          return { name: name(entry.name, `${where}.path[${k}].name`) }
        })
        return { name: 'search_path' as const, path }
      }
      return { name: settingName, value: string(setting.value, `${where}.value`) }
    })
    return { target, settings }
  })
  const schemaComment = doc.schemaComment === null ? null : string(doc.schemaComment, 'schemaComment')
  checkStatements(statements, source)
  return { statements, acls, defaultAcls, functionSettings, schemaComment }
}

/** What aclexplode() reports for schemas, and for tables, sequences, types and functions. */
const SCHEMA_PRIVILEGES = new Set(['USAGE', 'CREATE'])
const OBJECT_PRIVILEGES = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN', 'USAGE', 'EXECUTE'])
const DEFAULT_ACL_OBJECTS = new Set(['TABLES', 'SEQUENCES', 'FUNCTIONS', 'TYPES'])

/**
 * A grant's target as describeSchema writes it: `TABLE "x"`, `SEQUENCE "x"`, `TYPE "x"`,
 * `DOMAIN "x"`, or `FUNCTION "f"(<argument types>)` / `PROCEDURE …`, whose arguments are names and
 * punctuation only (no literal, operator or `;`).
 */
function objectTarget(target: string): boolean {
  if (/^(TABLE|SEQUENCE|TYPE|DOMAIN) "(?:[^"\0]|"")+"$/.test(target)) return true
  const fn = /^(?:FUNCTION|PROCEDURE) "(?:[^"\0]|"")+"\((.*)\)$/s.exec(target)
  if (!fn) return false
  const lexed = tokenize(`(${fn[1]})`)
  return 'tokens' in lexed
    && lexed.tokens.slice(1, -1).every((t) => t.depth > 0 && (t.type === 'word' || t.type === 'ident' || (t.type === 'punct' && '.,()[]'.includes(t.text))))
}
