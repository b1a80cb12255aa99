import { readFileSync } from 'node:fs'
import path from 'node:path'

import { ErpError, ErrorKind } from '../errors.js'
import { packageRoot } from '../paths.js'

/**
 * A schema migrated by a newer erp: its applied migrations include names this erp's tree does not
 * have (what knex's validateMigrationList refuses). Writing to it with this erp could break what
 * the newer one relies on, so writes are refused and reads warn. Which erp ships those migrations
 * cannot be read from the schema; the message names them and this erp's own version.
 */

export interface NewerSchema {
  /** 'Tenant "acme"' or 'The registry'. */
  what: string
  set: 'registry' | 'tenant'
  schema: string
  tenant?: string
  /** The applied migrations this erp does not know, in name order. */
  unknown: string[]
}

/** The refusal of a write. CONFIG (exit 78): the installed erp is the thing to change, no retry helps. */
export function newerSchemaError(s: NewerSchema): ErpError {
  return new ErpError(
    ErrorKind.CONFIG,
    `${s.what} (schema ${s.schema}) was migrated by a newer erp: it has ${s.unknown.length} migration(s) this erp ` +
      `(${erpVersion()}) does not know: ${s.unknown.join(', ')}. This erp does not write to it.`,
    {
      actions: [
        `Install a newer erp, one whose migrations/${s.set}/ folder has ${s.unknown.at(-1)}, and run the command with that.`,
        'Reading still works with this erp (with a warning); erp doctor lists every schema that is ahead of it.',
      ],
      data: { schema: s.schema, tenant: s.tenant, unknownMigrations: s.unknown, erpVersion: erpVersion() },
    },
  )
}

/** The warning a read gets instead. */
export function newerSchemaWarning(s: NewerSchema): string {
  return (
    `${s.what} (schema ${s.schema}) was migrated by a newer erp (migrations this erp ${erpVersion()} does not know: ` +
    `${s.unknown.join(', ')}): read only; install a newer erp to change it.`
  )
}

let version: string | undefined
/** This erp's version, from its package.json (read once, only when a message needs it). */
export function erpVersion(): string {
  version ??= String(JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version)
  return version
}
