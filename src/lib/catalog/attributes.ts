import type { Knex } from 'knex'

import { conflict, usageError } from '../errors.js'
import { checkDecimal, checkText, isCalendarDate, notADate, Problems } from '../validation.js'

/**
 * Typed product attributes. Definitions live in `attributes`; a product stores its values in its
 * `attributes` jsonb as JSON of the right type (number, boolean, string), so a filter is a jsonb
 * containment match (`@>`) served by the GIN index.
 */
export const ATTRIBUTE_TYPES = ['text', 'number', 'boolean', 'enum', 'date'] as const
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number]
export type AttributeValue = string | number | boolean

export interface Attribute {
  id: string
  code: string
  name: string | null
  type: AttributeType
  enumValues: string[] | null
  createdAt: Date
}

const SELECT = { id: 'id', code: 'code', name: 'name', type: 'type', enumValues: 'enum_values', createdAt: 'created_at' }
const CODE = /^[a-z][a-z0-9_]{0,62}$/
const MAX_TEXT_VALUE = 500

export interface CreateAttributeInput {
  code: string
  name?: string
  type: string
  /** Allowed values of an enum attribute. */
  values?: string[]
}

export async function createAttribute(trx: Knex.Transaction, input: CreateAttributeInput): Promise<Attribute> {
  const problems = new Problems()
  if (!CODE.test(input.code)) {
    problems.add('code', `"${input.code}" is not an attribute code: lowercase letters, digits and _, starting with a letter`)
  }
  if (!ATTRIBUTE_TYPES.includes(input.type as AttributeType)) {
    problems.add('type', `"${input.type}" is not a type; use one of ${ATTRIBUTE_TYPES.join(', ')}`)
  }
  const name = input.name === undefined ? null : checkText(problems, 'name', input.name, 200)
  let values: string[] | null = null
  if (input.type === 'enum') {
    values = (input.values ?? []).map((v) => v.trim())
    if (values.length === 0 || values.some((v) => v === '')) {
      problems.add('values', 'an enum attribute needs its allowed values, none of them empty (--values red,blue)')
    }
    const duplicate = values.find((v, i) => values!.indexOf(v) !== i)
    if (duplicate) problems.add('values', `"${duplicate}" is listed twice`)
  } else if (input.values !== undefined) {
    problems.add('values', 'only enum attributes take a list of values')
  }
  problems.throwIfAny(`Attribute "${input.code}" was not created`)

  const [row] = await trx('attributes')
    .insert({ code: input.code, name, type: input.type, enum_values: values })
    .onConflict('code')
    .ignore()
    .returning(selectList())
  if (!row) {
    throw conflict(`Attribute "${input.code}" already exists`, { actions: ['List attributes with: erp attributes list'], data: { code: input.code } })
  }
  return row
}

export async function listAttributes(trx: Knex.Transaction): Promise<Attribute[]> {
  return trx('attributes').select(SELECT).orderBy('code')
}

function selectList(): string[] {
  return Object.entries(SELECT).map(([key, column]) => `${column} as ${key}`)
}

/**
 * Check raw text values ('color' → 'red', 'weight_kg' → '1.5') against the attribute definitions
 * and convert them to their JSON type. Unknown codes, values of the wrong type and values outside
 * an enum are recorded as problems. A null value (removal on update) passes through as null.
 */
export async function checkAttributeValues(
  trx: Knex.Transaction,
  problems: Problems,
  raw: Record<string, string | null>,
  field = 'attributes',
): Promise<Record<string, AttributeValue | null>> {
  const codes = Object.keys(raw)
  if (codes.length === 0) return {}
  const definitions: Attribute[] = await trx('attributes').select(SELECT).whereIn('code', codes)
  const byCode = new Map(definitions.map((d) => [d.code, d]))
  const out: Record<string, AttributeValue | null> = {}
  for (const code of codes) {
    const definition = byCode.get(code)
    if (!definition) {
      problems.add(field, `unknown attribute "${code}"`, { action: `Define it first: erp attributes create ${CODE.test(code) ? code : '<code>'} --type text` })
      continue
    }
    const text = raw[code]
    if (text === null) {
      out[code] = null
      continue
    }
    const value = convertAttributeValue(problems, field, definition, text)
    if (value !== undefined) out[code] = value
  }
  return out
}

const TRUE = new Set(['true', 'yes', 'y', '1', 'on'])
const FALSE = new Set(['false', 'no', 'n', '0', 'off'])

/** One attribute value as text → its JSON type; undefined after recording a problem. */
export function convertAttributeValue(problems: Problems, field: string, def: Attribute, text: string): AttributeValue | undefined {
  const value = text.trim()
  const bad = (expected: string): undefined => {
    problems.add(field, `${def.code}: "${text}" is not ${expected}`)
    return undefined
  }
  switch (def.type) {
    case 'number': {
      // Dimensions and counts, stored as a JSON number: at most 15 significant digits, which a
      // double carries exactly, so the value filtered on is the value written.
      const scratch = new Problems()
      const decimal = checkDecimal(scratch, def.code, value, { precision: 15, scale: 6 })
      if (decimal === undefined) return bad('a number with at most 9 digits before and 6 after the point (e.g. 12.5)')
      return Number(decimal)
    }
    case 'boolean':
      if (TRUE.has(value.toLowerCase())) return true
      if (FALSE.has(value.toLowerCase())) return false
      return bad('a boolean (true/false, yes/no)')
    case 'date':
      if (!isCalendarDate(value)) {
        problems.add(field, `${def.code}: ${notADate(text)}`)
        return undefined
      }
      return value
    case 'enum':
      if (!def.enumValues!.includes(value)) return bad(`one of ${def.enumValues!.join(', ')}`)
      return value
    default:
      if (value === '') return bad('a non-empty text')
      if (value.length > MAX_TEXT_VALUE) return bad(`at most ${MAX_TEXT_VALUE} characters`)
      return value
  }
}

/**
 * `color=red` → { color: 'red' }; `color=` → { color: null } (removal). Malformed items are a usage
 * error naming every one of them.
 */
export function parseAttributeAssignments(items: string[] | undefined, flag = '--attr'): Record<string, string | null> | undefined {
  if (!items || items.length === 0) return undefined
  const out: Record<string, string | null> = {}
  const bad: string[] = []
  for (const item of items) {
    const at = item.indexOf('=')
    const code = item.slice(0, Math.max(at, 0)).trim()
    if (at <= 0 || code === '') bad.push(`"${item}" is not code=value`)
    else if (code in out) bad.push(`attribute "${code}" is given twice`)
    else out[code] = item.slice(at + 1).trim() === '' ? null : item.slice(at + 1)
  }
  if (bad.length > 0) throw usageError(`${flag}: ${bad.join('; ')}`, { actions: [`Write ${flag} color=red, once per attribute`] })
  return out
}
