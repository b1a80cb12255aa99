import { invalidData, usageError } from '../../errors.js'
import { Problems } from '../../validation.js'
import { normaliseHeader, type EntitySpec, type FieldSpec, type ImportMode } from '../spec.js'
import { chain, dateFormatStep, decimalCommaStep, invertStep, lookupStep, valueMapStep, type Step } from './convert.js'
import type { LookupTable } from './lookup.js'
import type { Binding, MappingRules } from './rules.js'

/**
 * A mapping compiled against a file's header: for each field, the column it reads (or its
 * constant) and the steps its cells go through before the field's own check. Built once, before
 * the first row; applying it to a row is an index lookup per field, plus the steps a column has
 * (none for a column read as it is, the common case).
 */
export interface ColumnRead {
  /** The cell's index in the record. */
  index: number
  /** The field's index in the spec's fields. */
  field: number
  /** The column's header as written, for messages. */
  header: string
  convert?: Step
  /** A decimal field in a decimal-point file: a failed check says how to read a decimal comma. */
  pointHint?: boolean
}

export interface CompiledMapping {
  reads: ColumnRead[]
  /** Fields set to one checked value for every row. */
  constants: { field: number; value: string | null }[]
  /** Field keys the rows give (read or constant). */
  present: Set<string>
  /** Field key → how messages name its source ('ProductID', 'tax_class (constant)'). */
  headerOf: Map<string, string>
  /** Columns left out (--map "X=-", ignore, --ignore-unknown), as written in the header. */
  ignored: string[]
  /** The header as the errors file repeats it (without a previous run's `error` column). */
  headerOut: string[]
  /** Index of a previous errors file's `error` column, or -1. */
  skipColumn: number
  decimalComma: boolean
}

export interface CompileInput {
  file: string
  line: number
  header: string[]
  fields: FieldSpec[]
  spec: Pick<EntitySpec<unknown>, 'entity' | 'key' | 'keyFrom'>
  mode: ImportMode
  rules: MappingRules
  tables: Map<string, LookupTable>
  delimiter: string
}

/**
 * Words that make a boolean column mean "not …": mapping such a column onto a field of the other
 * sense (Discontinued → active) inverts every row unless said so.
 */
const NEGATIVE = /discontinu|inactiv|disabl|delet|block|archiv|hidden|obsolet|suspend|lock|retir|exclud|^(?:is_?)?not_|^no_|^non_?[a-z]|^un(?:available|listed|active|used)/

const negative = (name: string) => NEGATIVE.test(name.trim().toLowerCase().replace(/[\s-]+/g, '_'))

export function compileMapping(input: CompileInput): CompiledMapping {
  const { file, line, header, fields, spec, mode, rules, tables } = input
  const byName = new Map<string, number>()
  fields.forEach((f, i) => {
    for (const name of [f.key, ...(f.aliases ?? [])]) byName.set(normaliseHeader(name), i)
  })
  const usage: string[] = []
  let unknownField = false
  const problems: string[] = []

  // The header: its columns by normalised name; a previous errors file's `error` column skipped.
  let skipColumn = -1
  const headerOut: string[] = []
  const columnsByName = new Map<string, number[]>()
  header.forEach((raw, index) => {
    const name = raw.trim()
    const normal = normaliseHeader(name)
    if (normal === 'error') {
      skipColumn = index
      return
    }
    headerOut.push(name)
    if (normal === '') return
    columnsByName.set(normal, [...(columnsByName.get(normal) ?? []), index])
  })

  const decimalComma = rules.decimalComma ?? input.delimiter === ';'
  const ignoredColumns = new Set<number>()
  for (const { column, origin } of rules.ignore) {
    const at = columnsByName.get(normaliseHeader(column))
    // A column the mapping leaves out need not be in every month's file.
    if (at) for (const i of at) ignoredColumns.add(i)
    else if (origin.startsWith('--')) usage.push(`${origin}: the file has no column "${column}"`)
  }

  // Bindings: a source (column or constant) per field; modifiers (values, lookup… without a
  // source) apply to the column the field is matched with by name.
  const source = new Map<number, Binding>()
  const modifiers = new Map<number, Binding[]>()
  const usedColumns = new Set<number>()
  for (const b of rules.bindings) {
    const field = byName.get(normaliseHeader(b.field))
    if (field === undefined) {
      usage.push(`${b.origin}: "${b.field}" is not a field of ${spec.entity}`)
      unknownField = true
      continue
    }
    if (b.from === undefined && b.value === undefined) {
      modifiers.set(field, [...(modifiers.get(field) ?? []), b])
      continue
    }
    const before = source.get(field)
    if (before) {
      usage.push(`${b.origin}: ${fields[field].key} is already given by ${before.origin}`)
      continue
    }
    if (b.from !== undefined) {
      const at = columnsByName.get(normaliseHeader(b.from))
      if (!at) {
        problems.push(`no column "${b.from}" (named by ${b.origin})`)
        continue
      }
      if (at.length > 1) {
        problems.push(`${at.length} columns are named "${b.from}" (named by ${b.origin})`)
        continue
      }
      if (ignoredColumns.has(at[0])) {
        usage.push(`${b.origin}: column "${b.from}" is also left out`)
        continue
      }
      usedColumns.add(at[0])
    }
    source.set(field, b)
  }

  // Every other column: a field by its name, left out, or unknown.
  const byColumn = new Map<number, number>()
  const ignored: string[] = []
  const seen = new Map<number, string>()
  for (const [field, b] of source) if (b.from !== undefined) seen.set(field, b.from)
  header.forEach((raw, index) => {
    if (index === skipColumn || usedColumns.has(index)) return
    const name = raw.trim()
    if (ignoredColumns.has(index)) {
      ignored.push(name)
      return
    }
    if (name === '') {
      if (rules.ignoreUnknown) ignored.push(`(column ${index + 1})`)
      else problems.push(`column ${index + 1} has no name`)
      return
    }
    const field = byName.get(normaliseHeader(name))
    if (field === undefined) {
      if (rules.ignoreUnknown) ignored.push(name)
      else problems.push(`unknown column "${name}"`)
      return
    }
    const bound = source.get(field)
    if (bound?.value !== undefined) {
      problems.push(`column "${name}" and ${bound.origin} both give ${fields[field].key}`)
      return
    }
    if (seen.has(field)) {
      problems.push(`columns "${seen.get(field)}" and "${name}" are both ${fields[field].key}`)
      return
    }
    seen.set(field, name)
    byColumn.set(field, index)
  })

  const reads: ColumnRead[] = []
  const constants: { field: number; value: string | null }[] = []
  const present = new Set<string>()
  const headerOf = new Map<string, string>()
  const origins = `${rules.file ? ` or ${rules.file}` : ''}`
  fields.forEach((f, field) => {
    const b = source.get(field)
    const mods = modifiers.get(field) ?? []
    if (b?.value !== undefined) {
      if (mods.length > 0) usage.push(`${mods[0].origin}: ${f.key} is a constant (${b.origin}): there is no cell to change`)
      const cell = new Problems()
      const checked = f.check(cell, b.value)
      if (checked === undefined || !cell.empty) {
        usage.push(`${b.origin}: ${cell.list.map((p) => p.message).join('; ') || `"${b.value}" is not a valid ${f.key}`}`)
        return
      }
      constants.push({ field, value: checked })
      present.add(f.key)
      headerOf.set(f.key, `${f.key} (constant)`)
      return
    }
    const index = b?.from !== undefined ? columnsByName.get(normaliseHeader(b.from))![0] : byColumn.get(field)
    if (index === undefined) {
      if (mods.length > 0) problems.push(`${mods[0].origin} changes ${f.key}, but no column gives it`)
      return
    }
    const name = header[index].trim()
    const all = b ? [b, ...mods] : mods
    const steps: Step[] = []
    const values = all.filter((x) => x.values)
    if (values.length > 0) steps.push(valueMapStep(new Map(values.flatMap((x) => [...x.values!]))))
    for (const x of all) {
      if (!x.lookup) continue
      const table = tables.get(x.lookup.table)
      if (!table) {
        usage.push(`${x.origin}: the lookup table ${x.lookup.table} has no file: pass --lookup "${x.lookup.table}=FILE.csv"`)
        continue
      }
      steps.push(lookupStep(f.key, table.values, `${x.lookup.table} (${table.file})`, x.lookup.missing === 'keep'))
    }
    const invert = all.find((x) => x.invert !== undefined)?.invert
    const type = f.type ?? 'text'
    if (invert !== undefined && type !== 'boolean') usage.push(`${all.find((x) => x.invert !== undefined)!.origin}: ${f.key} is not true/false: it cannot be inverted`)
    if (type === 'boolean' && invert === undefined && b?.from !== undefined && negative(name) !== negative(f.key)) {
      usage.push(`${b.origin}: "${name}" and ${f.key} read as opposites (is a discontinued product active?): ` +
        `say which: --map "${name}=!${f.key}" (invert: true in a mapping file) turns yes into no, --map "${name}=+${f.key}" (invert: false) keeps the values`)
    }
    if (invert) steps.push(invertStep(f.key))
    const dateFormat = all.find((x) => x.dateFormat)?.dateFormat ?? rules.dateFormat
    const dateOrigin = all.find((x) => x.dateFormat)?.origin ?? `dateFormat${origins}`
    if (all.some((x) => x.dateFormat) && type !== 'date') usage.push(`${all.find((x) => x.dateFormat)!.origin}: ${f.key} is not a date`)
    else if (dateFormat && type === 'date') steps.push(dateFormatStep(f.key, dateFormat, dateOrigin))
    if (type === 'decimal' && decimalComma) steps.push(decimalCommaStep(f.key))
    reads.push({ index, field, header: name, convert: chain(steps), pointHint: type === 'decimal' && !decimalComma })
    present.add(f.key)
    headerOf.set(f.key, name)
  })

  if (usage.length > 0) {
    throw usageError(`The mapping does not fit ${spec.entity}: ${usage.join('; ')}`, {
      actions: unknownField ? [`The fields of ${spec.entity} are: ${fields.map((f) => f.key).join(', ')}`] : [],
      data: { problems: usage },
    })
  }
  // A key the entity builds from other columns (a category's path from its parent and name) is there when they are.
  if (!present.has(spec.key) && spec.keyFrom !== undefined && spec.keyFrom.every((k) => present.has(k))) present.add(spec.key)
  for (const f of fields) {
    if ((f.key === spec.key || f.required?.(mode)) && !present.has(f.key)) {
      problems.push(`the required column "${f.key}" is missing${mode === 'update' ? '' : ` (mode ${mode})`}`)
    }
  }
  if (problems.length > 0) {
    const unknown = problems.some((p) => p.startsWith('unknown column'))
    throw invalidData(`${file}:${line}: the header does not fit ${spec.entity}: ${problems.join('; ')}`, {
      actions: [
        `The columns are: ${fields.map((f) => f.key).join(', ')} (${spec.key} required)`,
        'Read a column as a field with --map "CSV column=field", or save the layout in a mapping file (--mapping)',
        ...(unknown ? ['Leave a column out with --map "CSV column=-", or every column that is no field with --ignore-unknown'] : []),
      ],
      data: { file, line, problems },
    })
  }
  return { reads, constants, present, headerOf, ignored, headerOut, skipColumn, decimalComma }
}
