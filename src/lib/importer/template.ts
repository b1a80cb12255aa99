import { writeFile } from 'node:fs/promises'
import type { Writable } from 'node:stream'

import { ErpError, ErrorKind } from '../errors.js'
import type { FieldSpec, FieldType, ImportMode } from './spec.js'

/**
 * `erp import <entity> --template`: a CSV to fill in, the header every field of the entity and two
 * example rows that import as they are, and a description of each field (what it is, whether it
 * is required, how to write it). The CSV holds nothing but the header and rows, so that the
 * filled-in file imports without edits; the descriptions travel beside it.
 */
export interface TemplateField {
  field: string
  required: boolean
  type: FieldType
  /** Other header names read as this field. */
  aliases: string[]
  description: string
  example: string
}

export interface ImportTemplate {
  entity: string
  /** The file written, or null for stdout. */
  file: string | null
  header: string[]
  rows: string[][]
  fields: TemplateField[]
}

const TYPE_EXAMPLE: Record<FieldType, string> = { text: 'text', decimal: '12.5', integer: '30', boolean: 'true', date: '2026-01-31' }
const TYPE_RULE: Record<FieldType, string> = {
  text: '',
  decimal: 'A decimal with a point (12.5); with --decimal-comma (or in a ;-delimited file) with a comma (12,5).',
  integer: 'A whole number.',
  boolean: 'true or false (yes/no, y/n, 1/0 work too).',
  date: 'YYYY-MM-DD, or as --date-format says (DD.MM.YYYY…).',
}

export function buildTemplate(entity: string, key: string, fields: FieldSpec[], mode: ImportMode = 'insert'): Omit<ImportTemplate, 'file'> {
  const described: TemplateField[] = fields.map((f) => {
    const type = f.type ?? 'text'
    const required = f.key === key || (f.required?.(mode) ?? false)
    const rule = TYPE_RULE[type]
    return {
      field: f.key,
      required,
      type,
      aliases: f.aliases ?? [],
      description: [f.doc ?? '', rule].filter((x) => x !== '').join(' '),
      example: f.example ?? TYPE_EXAMPLE[type],
    }
  })
  const first = described.map((f) => f.example)
  // The second row: the key made different, required fields as in the first, the others empty.
  const second = described.map((f) => (f.field === key ? secondKey(f.example) : f.required ? f.example : ''))
  return { entity, header: described.map((f) => f.field), rows: [first, second], fields: described }
}

function secondKey(example: string): string {
  const digits = /(\d+)(?!.*\d)/.exec(example)
  if (!digits) return `${example}-2`
  const next = String(Number(digits[1]) + 1).padStart(digits[1].length, '0')
  return `${example.slice(0, digits.index)}${next}${example.slice(digits.index + digits[1].length)}`
}

/** The template as CSV, into a new file (never over an existing one) or onto `stdout`. */
export async function writeTemplate(template: Omit<ImportTemplate, 'file'>, file: string, stdout: Writable): Promise<ImportTemplate> {
  const { stringify } = await import('csv-stringify/sync')
  const text = stringify([template.header, ...template.rows], { record_delimiter: '\n' })
  if (file === '-') {
    stdout.write(text)
    return { ...template, file: null }
  }
  try {
    await writeFile(file, text, { flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    throw new ErpError(ErrorKind.CONFLICT, `${file} exists: the template is written to a new file`, { actions: ['Name a new file, or - for stdout'], data: { file }, cause: err })
  }
  return { ...template, file }
}
