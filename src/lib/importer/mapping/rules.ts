import { usageError } from '../../errors.js'

/**
 * A mapping, as written (a mapping file, --map/--set/--value-map flags), before it meets a file's
 * header: which source column (or constant) feeds which field, and how its cells are turned into
 * what the field reads. compile.ts turns it into per-column steps once the header is known.
 */

export type Missing = 'error' | 'keep'

export interface Binding {
  /** The field as written (a key or an alias, compared as headers are). */
  field: string
  /** The source column (header name as written); absent for a constant. */
  from?: string
  /** A constant for every row (no column). */
  value?: string
  /** true: a boolean column of the opposite meaning (discontinued → active); false: said to keep it. */
  invert?: boolean
  /** Cell → value replacements; values not listed are kept. */
  values?: Map<string, string>
  /** A lookup table by name: the cell is a key of it, replaced by its value. */
  lookup?: { table: string; missing: Missing }
  /** How the column writes dates (DD.MM.YYYY…), for a date field. */
  dateFormat?: string
  /** How messages name where the binding was written: '--map "A=b"', 'client.yaml: fields.sku'. */
  origin: string
}

export interface TableSpec {
  /** The key and value columns of the table (its first and second column when absent). */
  key?: string
  value?: string
  origin: string
}

export interface MappingRules {
  bindings: Binding[]
  /** Source columns to leave out. */
  ignore: { column: string; origin: string }[]
  /** Leave out every column that is no field (and not bound), listing them in the summary. */
  ignoreUnknown: boolean
  /** Decimals written with a comma; undefined: a ';'-delimited file does, others do not. */
  decimalComma?: boolean
  /** How every date field is written, unless its binding says otherwise. */
  dateFormat?: string
  /** Lookup tables the mapping file declares (their files are given with --lookup NAME=FILE). */
  tables: Map<string, TableSpec>
  /** The entity a mapping file was written for, if it says. */
  entity?: string
  /** The mapping file, for the summary. */
  file?: string
}

export const emptyRules = (): MappingRules => ({ bindings: [], ignore: [], ignoreUnknown: false, tables: new Map() })

/** What the command line says about the mapping (each item one flag value). */
export interface MappingFlags {
  /** --map "COLUMN=TARGETS": TARGETS is '-' (ignore), or fields separated by ',' each as field, !field (inverted) or +field (not inverted). */
  map?: string[]
  /** --set "field=value": a constant. */
  set?: string[]
  /** --value-map "field=FROM:TO,FROM:TO". */
  valueMap?: string[]
  ignoreUnknown?: boolean
  decimalComma?: boolean
  dateFormat?: string
}

/** The command line's mapping; `legacy` is the older {column: field} form of ImportInput.map. */
export function rulesFromFlags(flags: MappingFlags, legacy: Record<string, string> = {}): MappingRules {
  const rules = emptyRules()
  for (const [from, to] of Object.entries(legacy)) rules.bindings.push({ field: to, from, origin: `--map "${from}=${to}"` })
  for (const spec of flags.map ?? []) {
    const at = spec.lastIndexOf('=')
    const column = spec.slice(0, at).trim()
    const targets = spec.slice(at + 1).trim()
    const origin = `--map "${spec}"`
    if (at <= 0 || column === '' || targets === '') throw usageError(`${origin}: write it as "CSV column=field" (or "CSV column=-" to leave the column out)`)
    if (targets === '-') {
      rules.ignore.push({ column, origin })
      continue
    }
    for (const raw of targets.split(',')) {
      const target = raw.trim()
      const sign = target[0] === '!' ? true : target[0] === '+' ? false : undefined
      const field = sign === undefined ? target : target.slice(1).trim()
      if (field === '') throw usageError(`${origin}: a field is missing after "${target}" (fields are separated by ",")`)
      rules.bindings.push({ field, from: column, ...(sign === undefined ? {} : { invert: sign }), origin })
    }
  }
  for (const spec of flags.set ?? []) {
    const at = spec.indexOf('=')
    if (at <= 0) throw usageError(`--set "${spec}": write it as "field=value" (the value goes into every row)`)
    rules.bindings.push({ field: spec.slice(0, at).trim(), value: spec.slice(at + 1), origin: `--set "${spec}"` })
  }
  const valueMaps = new Map<string, Map<string, string>>()
  for (const spec of flags.valueMap ?? []) {
    const origin = `--value-map "${spec}"`
    const at = spec.indexOf('=')
    if (at <= 0) throw usageError(`${origin}: write it as "field=FROM:TO,FROM:TO" (a mapping file takes any text)`)
    const field = spec.slice(0, at).trim()
    const map = valueMaps.get(field) ?? new Map<string, string>()
    valueMaps.set(field, map)
    for (const entry of spec.slice(at + 1).split(',')) {
      const colon = entry.lastIndexOf(':')
      if (colon < 0) throw usageError(`${origin}: "${entry}" is not FROM:TO`)
      const from = entry.slice(0, colon).trim()
      if (map.has(from)) throw usageError(`${origin}: "${from}" is mapped twice`)
      map.set(from, entry.slice(colon + 1).trim())
    }
  }
  for (const [field, values] of valueMaps) rules.bindings.push({ field, values, origin: `--value-map "${field}=…"` })
  if (flags.ignoreUnknown) rules.ignoreUnknown = true
  if (flags.decimalComma !== undefined) rules.decimalComma = flags.decimalComma
  if (flags.dateFormat !== undefined) rules.dateFormat = flags.dateFormat
  return rules
}

/**
 * The mapping file's rules with the command line's on top: a field the command line binds is bound
 * as it says (its --value-map alone adds values to the file's binding), a column it leaves out is
 * left out, and its options win.
 */
export function mergeRules(file: MappingRules, cli: MappingRules, normalise: (name: string) => string): MappingRules {
  const cliFields = new Set(cli.bindings.filter((b) => b.from !== undefined || b.value !== undefined).map((b) => normalise(b.field)))
  const cliIgnored = new Set(cli.ignore.map((i) => normalise(i.column)))
  const bindings = file.bindings.filter((b) => !cliFields.has(normalise(b.field)) && !(b.from !== undefined && cliIgnored.has(normalise(b.from))))
  for (const b of cli.bindings) {
    if (b.from === undefined && b.value === undefined) {
      // --value-map on a field the file binds: the values join that binding.
      const target = bindings.find((x) => normalise(x.field) === normalise(b.field))
      if (target) {
        target.values = new Map([...(target.values ?? []), ...b.values!])
        continue
      }
    }
    bindings.push(b)
  }
  return {
    bindings,
    ignore: [...file.ignore, ...cli.ignore],
    ignoreUnknown: cli.ignoreUnknown || file.ignoreUnknown,
    decimalComma: cli.decimalComma ?? file.decimalComma,
    dateFormat: cli.dateFormat ?? file.dateFormat,
    tables: file.tables,
    entity: file.entity,
    file: file.file,
  }
}

/**
 * --value-map values: the inline ones ("field=FROM:TO,…") and those naming a file ("field=@units.csv":
 * a two-column CSV, from and to, read as a lookup table whose missing values are kept).
 */
export function splitValueMapFlags(specs: string[] | undefined): { inline: string[]; files: Map<string, string> } {
  const inline: string[] = []
  const files = new Map<string, string>()
  for (const spec of specs ?? []) {
    const at = spec.indexOf('=')
    const file = spec.slice(at + 1).trim()
    if (at <= 0 || !file.startsWith('@')) {
      inline.push(spec)
      continue
    }
    const field = spec.slice(0, at).trim()
    if (file.length === 1) throw usageError(`--value-map "${spec}": write it as "field=@FILE.csv" (a CSV of two columns: the value in the file, and the field's value)`)
    if (files.has(field)) throw usageError(`--value-map: "${field}" is given a file twice`)
    files.set(field, file.slice(1))
  }
  return { inline, files }
}

/** --lookup "NAME=FILE" values → name → file. */
export function parseLookupFlags(specs: string[] | undefined): Map<string, string> {
  const files = new Map<string, string>()
  for (const spec of specs ?? []) {
    const at = spec.indexOf('=')
    const name = spec.slice(0, at).trim()
    const file = spec.slice(at + 1).trim()
    if (at <= 0 || file === '') throw usageError(`--lookup "${spec}": write it as "NAME=FILE" (a table of the mapping, or a field, and its CSV file)`)
    if (files.has(name)) throw usageError(`--lookup: "${name}" is given twice`)
    files.set(name, file)
  }
  return files
}
