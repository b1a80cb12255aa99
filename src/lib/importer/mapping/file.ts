import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'

import { ErpError, ErrorKind, invalidData } from '../../errors.js'
import { emptyRules, type Binding, type MappingRules, type Missing } from './rules.js'

/**
 * A saved mapping (`--mapping client.yaml|json`), the layout a client sends every month:
 *
 *   entity: products                 # optional: refused by another import
 *   ignoreUnknown: true              # leave out every column that is no field
 *   ignore: [SupplierID, Fax]        # or name them
 *   decimalComma: true               # decimals like 12,5 (default: a ;-delimited file has them)
 *   dateFormat: DD.MM.YYYY           # every date field
 *   lookups:                         # tables whose files come with --lookup NAME=FILE
 *     categories: { key: CategoryID, value: CategoryName }
 *   fields:
 *     sku: ProductID                 # field: column
 *     active: { from: Discontinued, invert: true }
 *     tax_class: { value: standard } # a constant
 *     category: { from: CategoryID, lookup: categories }
 *     uom: { from: Unit, values: { Stk: unit, pcs: unit } }
 *     billing_city: City
 *     shipping_city: City            # one column into several fields
 *
 * It is hostile input like the data: checked strictly (an unknown key, a wrong type, a bad entry
 * is an error naming the file and the key), read into Maps (no key reaches an object's
 * prototype), and it names no file: lookup tables are bound to files on the command line, so a
 * mapping cannot make erp read a file the operator did not name.
 */

/** A mapping is a page of text; anything bigger is not one. */
export const MAX_MAPPING_BYTES = 256 * 1024

const TOP_KEYS = new Set(['entity', 'ignoreUnknown', 'ignore', 'decimalComma', 'dateFormat', 'lookups', 'fields'])
const FIELD_KEYS = new Set(['from', 'value', 'invert', 'values', 'lookup', 'dateFormat'])
const LOOKUP_KEYS = new Set(['key', 'value'])
const USE_KEYS = new Set(['table', 'missing'])
/** A lookup table's name: what --lookup NAME=FILE gives. */
export const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/

export async function loadMappingFile(file: string): Promise<MappingRules> {
  let text: string
  try {
    const info = await stat(file)
    if (!info.isFile()) throw invalidData(`${file}: the mapping is not a file`)
    if (info.size > MAX_MAPPING_BYTES) throw invalidData(`${file}: a mapping file is at most ${MAX_MAPPING_BYTES / 1024} KiB (this one has ${info.size} bytes)`)
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ErpError(ErrorKind.FILE_NOT_FOUND, `Mapping file not found: ${file}`, { actions: ['Check the path given to --mapping'], data: { file }, cause: err })
    }
    throw err
  }
  const parsed = await parseMappingText(file, text)
  return mappingFromObject(file, parsed)
}

async function parseMappingText(file: string, text: string): Promise<unknown> {
  const name = path.basename(file)
  if (/\.json$/i.test(file)) {
    try {
      return JSON.parse(text)
    } catch (err) {
      throw invalidData(`${name}: not valid JSON: ${(err as Error).message}`, { data: { file }, cause: err })
    }
  }
  const { parseDocument } = await import('yaml')
  // YAML 1.2 core schema: no custom tags, no merge keys, duplicate keys refused, aliases bounded.
  const doc = parseDocument(text, { schema: 'core', merge: false, uniqueKeys: true, prettyErrors: true })
  const problem = doc.errors[0] ?? doc.warnings[0]
  if (problem) {
    const at = problem.linePos?.[0]
    throw invalidData(`${name}${at ? `:${at.line}:${at.col}` : ''}: not a valid mapping file: ${problem.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, { data: { file }, cause: problem })
  }
  try {
    return doc.toJS({ maxAliasCount: 50 })
  } catch (err) {
    throw invalidData(`${name}: not a valid mapping file: ${(err as Error).message}`, { data: { file }, cause: err })
  }
}

type Json = unknown

const isObject = (value: Json): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Own enumerable entries only, in order: never a prototype's. */
const entries = (value: Record<string, Json>): [string, Json][] => Object.keys(value).map((k) => [k, Object.getOwnPropertyDescriptor(value, k)!.value])

/** The checked rules of a parsed mapping file; every problem is reported at once. */
export function mappingFromObject(file: string, parsed: Json): MappingRules {
  const name = path.basename(file)
  const problems: string[] = []
  const bad = (key: string, message: string) => problems.push(`${key}: ${message}`)
  const rules = emptyRules()
  rules.file = file
  if (!isObject(parsed)) {
    throw invalidData(`${name}: a mapping file is a set of keys (${[...TOP_KEYS].join(', ')}), not ${describe(parsed)}`, { data: { file } })
  }
  for (const [key, value] of entries(parsed)) {
    if (!TOP_KEYS.has(key)) {
      bad(key, `unknown key (the keys are ${[...TOP_KEYS].join(', ')})`)
      continue
    }
    if (key === 'entity') {
      if (typeof value === 'string' && value.trim() !== '') rules.entity = value.trim()
      else bad(key, 'must be the name of an import, like products')
    } else if (key === 'ignoreUnknown' || key === 'decimalComma') {
      if (typeof value !== 'boolean') bad(key, `must be true or false (got ${describe(value)})`)
      else if (key === 'ignoreUnknown') rules.ignoreUnknown = value
      else rules.decimalComma = value
    } else if (key === 'dateFormat') {
      if (typeof value === 'string' && value.trim() !== '') rules.dateFormat = value.trim()
      else bad(key, 'must be a date format like DD.MM.YYYY')
    } else if (key === 'ignore') {
      const list = typeof value === 'string' ? [value] : value
      if (!Array.isArray(list)) bad(key, `must be a list of column names (got ${describe(value)})`)
      else list.forEach((column, i) => {
        if (typeof column === 'string' && column.trim() !== '') rules.ignore.push({ column: column.trim(), origin: `${name}: ignore` })
        else bad(`ignore[${i}]`, `must be a column name (got ${describe(column)})`)
      })
    } else if (key === 'lookups') {
      if (!isObject(value)) {
        bad(key, 'must map table names to {key: column, value: column}')
        continue
      }
      for (const [table, spec] of entries(value)) {
        const at = `lookups.${table}`
        if (!TABLE_NAME.test(table)) {
          bad(at, 'a table name is letters, digits, _ and - (starting with a letter)')
          continue
        }
        const columns: { key?: string; value?: string } = {}
        if (spec !== null && !isObject(spec)) {
          bad(at, `must be {key: column, value: column} (got ${describe(spec)})`)
          continue
        }
        for (const [k, v] of entries(spec ?? {})) {
          if (!LOOKUP_KEYS.has(k)) bad(`${at}.${k}`, 'unknown key (the keys are key, value)')
          else if (typeof v !== 'string' || v.trim() === '') bad(`${at}.${k}`, 'must be a column name of the table')
          else columns[k as 'key' | 'value'] = v.trim()
        }
        rules.tables.set(table, { ...columns, origin: `${name}: ${at}` })
      }
    } else if (key === 'fields') {
      if (!isObject(value)) {
        bad(key, 'must map field names to a column or to {from, value, invert, values, lookup, dateFormat}')
        continue
      }
      for (const [field, spec] of entries(value)) {
        const binding = fieldBinding(`${name}: fields.${field}`, field, spec, (k, m) => bad(`fields.${field}${k ? `.${k}` : ''}`, m))
        if (binding) rules.bindings.push(binding)
      }
    }
  }
  for (const b of rules.bindings) {
    if (b.lookup && !rules.tables.has(b.lookup.table)) {
      // A table used but not declared: its first column is the key, its second the value.
      rules.tables.set(b.lookup.table, { origin: b.origin })
    }
  }
  if (problems.length > 0) {
    throw invalidData(`${name}: the mapping is not valid: ${problems.join('; ')}`, {
      actions: ['Fix the mapping file; see docs/importing.md for its keys'],
      data: { file, problems },
    })
  }
  return rules
}

function fieldBinding(origin: string, field: string, spec: Json, bad: (key: string, message: string) => void): Binding | undefined {
  if (field.trim() === '') {
    bad('', 'a field name is empty')
    return undefined
  }
  if (typeof spec === 'string') {
    if (spec.trim() === '') bad('', 'must name a column')
    return { field, from: spec.trim(), origin }
  }
  if (!isObject(spec)) {
    bad('', `must be a column name or {from, value, invert, values, lookup, dateFormat} (got ${describe(spec)})`)
    return undefined
  }
  const binding: Binding = { field, origin }
  let ok = true
  const fail = (key: string, message: string) => {
    ok = false
    bad(key, message)
  }
  for (const [key, value] of entries(spec)) {
    if (!FIELD_KEYS.has(key)) {
      fail(key, `unknown key (the keys are ${[...FIELD_KEYS].join(', ')})`)
    } else if (key === 'from') {
      if (typeof value === 'string' && value.trim() !== '') binding.from = value.trim()
      else fail(key, 'must be a column name')
    } else if (key === 'value') {
      const scalar = scalarText(value)
      if (scalar === undefined) fail(key, `must be text, a number or true/false (got ${describe(value)})`)
      else binding.value = scalar
    } else if (key === 'invert') {
      if (typeof value === 'boolean') binding.invert = value
      else fail(key, `must be true or false (got ${describe(value)})`)
    } else if (key === 'dateFormat') {
      if (typeof value === 'string' && value.trim() !== '') binding.dateFormat = value.trim()
      else fail(key, 'must be a date format like DD.MM.YYYY')
    } else if (key === 'values') {
      if (!isObject(value)) {
        fail(key, 'must map cell values to field values ({Y: true, N: false})')
        continue
      }
      const map = new Map<string, string>()
      for (const [from, to] of entries(value)) {
        const text = to === null ? '' : scalarText(to)
        if (text === undefined) fail(`${key}.${from}`, `must be text, a number, true/false or null (got ${describe(to)})`)
        else map.set(from.trim(), text)
      }
      binding.values = map
    } else if (key === 'lookup') {
      const use = typeof value === 'string' ? { table: value } : value
      if (!isObject(use)) {
        fail(key, 'must name a lookup table, or be {table, missing: error|keep}')
        continue
      }
      let table: string | undefined
      let missing: Missing = 'error'
      for (const [k, v] of entries(use)) {
        if (!USE_KEYS.has(k)) fail(`${key}.${k}`, 'unknown key (the keys are table, missing)')
        else if (k === 'table') {
          if (typeof v === 'string' && TABLE_NAME.test(v)) table = v
          else fail(`${key}.table`, 'must be a table name (letters, digits, _ and -, starting with a letter)')
        } else if (v === 'error' || v === 'keep') missing = v
        else fail(`${key}.missing`, 'must be error (a value not in the table rejects the row) or keep (it is kept as it is)')
      }
      if (table === undefined) fail(key, 'names no table')
      else binding.lookup = { table, missing }
    }
  }
  if (binding.from !== undefined && binding.value !== undefined) fail('', 'has both from (a column) and value (a constant): keep one')
  if (binding.from === undefined && binding.value === undefined && !binding.values && !binding.lookup && !binding.dateFormat && binding.invert === undefined) {
    fail('', 'says nothing: give from (a column) or value (a constant)')
  }
  if (binding.value !== undefined && (binding.lookup || binding.values || binding.invert !== undefined || binding.dateFormat)) {
    fail('', 'a constant (value) is written as the field reads it: values, lookup, invert and dateFormat do not apply')
  }
  return ok ? binding : undefined
}

function scalarText(value: Json): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'boolean') return String(value)
  return undefined
}

function describe(value: Json): string {
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a set of keys'
  return `${typeof value} ${JSON.stringify(value).slice(0, 40)}`
}
