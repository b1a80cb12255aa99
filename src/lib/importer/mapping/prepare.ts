import { usageError } from '../../errors.js'
import { normaliseHeader } from '../spec.js'
import { loadMappingFile } from './file.js'
import { checkTableName, readLookupTable, type LookupTable } from './lookup.js'
import { emptyRules, mergeRules, rulesFromFlags, type MappingFlags, type MappingRules } from './rules.js'

/** What an import is told about its mapping. */
export interface MappingInput {
  /** A saved mapping (YAML or JSON). */
  file?: string
  flags?: MappingFlags
  /** --lookup NAME=FILE: a lookup table of the mapping, or (a NAME that is a field) the table its values are looked up in. */
  lookups?: Map<string, string>
  /** --value-map "field=@FILE": field → a two-column file of values (from, to); values not in it are kept. */
  valueMapFiles?: Map<string, string>
}

export interface PreparedMapping {
  rules: MappingRules
  tables: Map<string, LookupTable>
}

/** The mapping file and the flags, merged and checked; every lookup table read (once, bounded). */
export async function prepareMapping(entity: string, input: MappingInput, legacy: Record<string, string>, encoding: 'utf8' | 'latin1'): Promise<PreparedMapping> {
  const fromFile = input.file ? await loadMappingFile(input.file) : emptyRules()
  if (fromFile.entity !== undefined && normaliseHeader(fromFile.entity) !== normaliseHeader(entity)) {
    throw usageError(`${input.file}: this mapping is for ${fromFile.entity}, not ${entity}`, { actions: ['Give the mapping file made for this import, or correct its entity key'] })
  }
  const cli = rulesFromFlags(input.flags ?? {}, legacy)
  for (const [field, file] of input.valueMapFiles ?? []) {
    const origin = `--value-map "${field}=@${file}"`
    const table = await readLookupTable(field, file, { origin }, encoding)
    cli.bindings.push({ field, values: table.values, origin })
  }
  const rules = mergeRules(fromFile, cli, normaliseHeader)
  const tables = new Map<string, LookupTable>()
  for (const [name, file] of input.lookups ?? []) {
    const origin = `--lookup "${name}=${file}"`
    let spec = rules.tables.get(name)
    if (!spec) {
      // Not a table of the mapping: the field of that name is looked up in it (first column → second).
      checkTableName(name, origin)
      spec = { origin }
      rules.tables.set(name, spec)
      rules.bindings.push({ field: name, lookup: { table: name, missing: 'error' }, origin })
    }
    tables.set(name, await readLookupTable(name, file, spec, encoding))
  }
  return { rules, tables }
}
