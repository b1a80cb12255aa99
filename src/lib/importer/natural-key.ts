import { rejectRepeatedKeys } from './repeats.js'
import type { StagedImport } from './spec.js'

/** The key a file's rows are matched on (a product's SKU, a customer's code). */
export interface NaturalKey {
  /** The import field and the target column holding the key, e.g. 'sku'. */
  field: string
  /** The target table (a fixed name of ours, never input). */
  table: string
  /** How the key is named in messages: 'SKU', 'customer code'. */
  label: string
  /** 'product with this SKU' */
  noun: string
  /** 'product': messages and the restore command's topic ('erp products restore'). */
  thing: string
}

/**
 * The key checks every keyed entity needs, set-based, one statement each: rows that would update
 * an archived record or nothing, and (outside insert mode, where two rows would silently update
 * one record) keys twice in the file.
 */
export async function checkNaturalKey(staged: StagedImport, key: NaturalKey): Promise<void> {
  const { trx, mode, columns, rows, errors } = staged
  const column = columns.get(key.field)!
  const reject = (sql: string) => trx.raw(`insert into ${errors} (line, field, value, message) ${sql}`)
  if (mode !== 'insert') {
    await checkDuplicateKeys(staged, key)
    // Most tenants archive little: a look for any archived record first spares a join of every row.
    const { rows: archived } = await trx.raw(`select exists (select 1 from ${key.table} where archived_at is not null) as any`)
    if (archived[0].any) {
      await reject(`select s.line, '${key.field}', s.${column}, '${key.thing} ' || t.${key.field} || ' is archived (restore it first: erp ${key.thing}s restore ' || t.${key.field} || ')'
        from ${rows} s join ${key.table} t on t.${key.field} = s.${column} where t.archived_at is not null`)
    }
  }
  if (mode === 'update') {
    await reject(`select s.line, '${key.field}', s.${column}, 'no ${key.noun} (import with --mode upsert to create it)'
      from ${rows} s where not exists (select 1 from ${key.table} t where t.${key.field} = s.${column})`)
  }
}

/** In insert mode, what the key's unique index refuses too: keys twice in the file, or already taken. */
export async function checkKeysUnique(staged: StagedImport, key: NaturalKey): Promise<void> {
  const { trx, mode, columns, rows, errors } = staged
  if (mode !== 'insert') return
  const column = columns.get(key.field)!
  await checkDuplicateKeys(staged, key)
  await trx.raw(`insert into ${errors} (line, field, value, message)
    select s.line, '${key.field}', s.${column}, 'a ${key.noun} already exists (import with --mode upsert to update it)'
    from ${rows} s join ${key.table} t on t.${key.field} = s.${column}`)
}

function checkDuplicateKeys({ trx, columns, rows, errors }: StagedImport, key: NaturalKey): Promise<void> {
  const column = columns.get(key.field)!
  return rejectRepeatedKeys(trx, errors, {
    from: rows,
    key: `s.${column}`,
    field: key.field,
    value: `s.${column}`,
    message: (first) => `'duplicate ${key.label} in the file (first on line ' || ${first} || ')'`,
  })
}
