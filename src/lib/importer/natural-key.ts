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
  await checkCaseOnlyKeys(staged, key)
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

const SHOWN = 3

/**
 * Keys that differ only in case (85123a and 85123A) are two records to the database, and most often
 * one to the client: never silent. Warned about (the rows stay two records), or with
 * caseDuplicates 'refuse' rejected: a row whose key an earlier row of the file has in another case,
 * and a row whose key an existing record has in another case. Two set-based statements each way.
 */
export async function checkCaseOnlyKeys(staged: StagedImport, key: NaturalKey): Promise<void> {
  const { trx, columns, rows, errors, file } = staged
  const column = columns.get(key.field)!
  const { rows: anyExisting } = await trx.raw(`select exists (select 1 from ${key.table}) as any`)
  const existing = anyExisting[0].any as boolean
  const refuse = staged.caseDuplicates === 'refuse'
  if (refuse) {
    await trx.raw(`insert into ${errors} (line, field, value, message)
      select line, field, value, message from (
        select s.line, '${key.field}'::text as field, s.${column} as value,
               ('${key.label} differs only in case from ' || first_value(s.${column}) over by_key || ' on line ' || (first_value(s.line) over by_key)::text)::text as message,
               first_value(s.${column}) over by_key as first_key
          from ${rows} s
        window by_key as (partition by lower(s.${column}) order by s.line)) k
      where value <> first_key`)
    if (existing) {
      await trx.raw(`insert into ${errors} (line, field, value, message)
        select s.line, '${key.field}', s.${column}, '${key.label} differs only in case from the existing ' || t.${key.field} || ' (--case-duplicates warn keeps both)'
        from ${rows} s join ${key.table} t on lower(t.${key.field}) = lower(s.${column}) and t.${key.field} <> s.${column}
        where not exists (select 1 from ${key.table} x where x.${key.field} = s.${column})`)
    }
    return
  }
  // Most files hold no key twice in any case: a count per case-folded key, which compares no strings,
  // says so (1M SKUs: 1.4 s against 2.5 s for the min and max below). Otherwise one pass finds the keys
  // spelt in several cases (min and max of a case-folded group differ); the spellings, in file
  // order, are read for the few shown only.
  const { rows: folded } = await trx.raw(`select exists (select from ${rows} s group by lower(s.${column}) having count(*) > 1) as any`)
  const { rows: inFile } = !folded[0].any ? { rows: [] } : await trx.raw(`with several as (
      select lower(s.${column}) as folded, min(s.line) as first, count(*) over ()::int as total
        from ${rows} s group by lower(s.${column}) having min(s.${column}) <> max(s.${column})
       order by first limit ${SHOWN})
    select (select array_agg(k order by first) from (
              select s.${column} as k, min(s.line) as first from ${rows} s where lower(s.${column}) = c.folded group by s.${column}) d) as keys,
           c.total
      from several c order by c.first`)
  if (inFile.length > 0) {
    const shown = (inFile as { keys: string[] }[]).map((r) => r.keys.join(' / ')).join(', ')
    const more = inFile[0].total > inFile.length ? ` and ${inFile[0].total - inFile.length} more` : ''
    staged.warn(`${file}: ${inFile[0].total} ${key.label}(s) come in several cases (${shown}${more}); each spelling is a ${key.thing} of its own (--case-duplicates refuse rejects them)`)
  }
  if (!existing) return
  const { rows: against } = await trx.raw(`select k, t.${key.field} as existing, count(*) over ()::int as total
      from (select distinct s.${column} as k from ${rows} s) d
      join ${key.table} t on lower(t.${key.field}) = lower(d.k) and t.${key.field} <> d.k
     where not exists (select 1 from ${key.table} x where x.${key.field} = d.k)
     order by k limit ${SHOWN}`)
  if (against.length > 0) {
    const shown = (against as { k: string; existing: string }[]).map((r) => `${r.k} (existing: ${r.existing})`).join(', ')
    const more = against[0].total > against.length ? ` and ${against[0].total - against.length} more` : ''
    staged.warn(`${file}: ${against[0].total} ${key.label}(s) differ only in case from existing ${key.thing}s: ${shown}${more}; they are new ${key.thing}s (--case-duplicates refuse rejects them)`)
  }
}
