import type { Knex } from 'knex'

import { invalidData, usageError } from '../errors.js'
import { transactionNow } from '../db/clock.js'
import { isoCountry } from '../iso-codes.js'

/**
 * Per-tenant settings, one row per key in the tenant's `settings` table (value is jsonb). Only the
 * keys defined here can be set, each with its validation and default: a typo must not silently
 * become a setting nobody reads. A domain that needs a setting adds its definition here.
 */
export interface SettingDefinition {
  description: string
  default: unknown
  /** The value to store for a text given on the command line, or an error message. */
  parse: (text: string) => { value: unknown } | { error: string }
}

const oneOf = (...options: string[]): SettingDefinition['parse'] => (text) =>
  options.includes(text) ? { value: text } : { error: `expected one of: ${options.join(', ')}` }

export const SETTINGS: Record<string, SettingDefinition> = {
  'rounding.mode': {
    description:
      'How money is rounded, per line, to the currency\'s minor unit: half_up (a tie rounds away from zero, 2.675 → 2.68) ' +
      'or half_even (a tie rounds to the even digit, 2.665 → 2.66).',
    default: 'half_up',
    parse: oneOf('half_up', 'half_even'),
  },
  'invoices.number_format': {
    description:
      'How issued invoices are numbered: {YYYY} (or {YY}) is the issue year, a run of N the sequence zero-padded to that width; ' +
      'numbering restarts every year when the format holds the year. Example: INV-{YYYY}-{NNNNNN} → INV-2026-000123.',
    default: 'INV-{YYYY}-{NNNNNN}',
    parse: numberFormat,
  },
  'invoices.credit_note_format': {
    description: 'How credit notes (voids, returns) are numbered, in their own series; same tokens as invoices.number_format.',
    default: 'CN-{YYYY}-{NNNNNN}',
    parse: numberFormat,
  },
  'company.name': {
    description: 'The seller\'s name printed on invoices (the tenant\'s name when empty).',
    default: '',
    parse: (text) => ({ value: text.trim() }),
  },
  'company.address': {
    description: 'The seller\'s address printed on invoices; "|" separates lines.',
    default: '',
    parse: (text) => ({ value: text.trim() }),
  },
  'company.country': {
    description: 'The seller\'s country, an ISO 3166-1 alpha-2 code (FR, DE, GB…); set by erp tenants create --country.',
    default: '',
    parse: (text) => {
      if (text.trim() === '') return { value: '' }
      const country = isoCountry(text)
      return country ? { value: country } : { error: 'expected an ISO 3166-1 alpha-2 country code, e.g. FR' }
    },
  },
  'company.tax_id': {
    description: 'The seller\'s tax (VAT) number printed on invoices.',
    default: '',
    parse: (text) => ({ value: text.trim() }),
  },
  'company.bank_details': {
    description: 'Where customers pay, printed on invoices (bank, IBAN, BIC…); "|" separates lines.',
    default: '',
    parse: (text) => (text.length > 500 ? { error: 'at most 500 characters' } : { value: text.trim() }),
  },
  'invoices.payment_reference': {
    description:
      'What a customer quotes with a payment, printed on issued invoices: {number} is the invoice number, {customer} ' +
      'the customer\'s code. Example: {number}/{customer} → INV-2026-000123/C0042. Empty: none is printed.',
    default: '{number}',
    parse: paymentReference,
  },
}

function paymentReference(text: string): { value: unknown } | { error: string } {
  if (/[{}]/.test(text.replace(/\{number\}|\{customer\}/g, ''))) return { error: 'unknown token: only {number} and {customer} are allowed' }
  if (text.length > 60) return { error: 'at most 60 characters' }
  return { value: text.trim() }
}

function numberFormat(text: string): { value: unknown } | { error: string } {
  const runs = text.match(/\{N+\}/g) ?? []
  if (runs.length !== 1) return { error: 'expected exactly one {N…} sequence token, e.g. INV-{YYYY}-{NNNNNN}' }
  const rest = text.replace(/\{N+\}|\{YYYY\}|\{YY\}/g, '')
  if (/[{}]/.test(rest)) return { error: 'unknown token: only {YYYY}, {YY} and {N…} are allowed' }
  if (text.length > 40) return { error: 'at most 40 characters' }
  return { value: text }
}

export interface Setting {
  key: string
  value: unknown
  /** False when the key has no row and its default applies. */
  isSet: boolean
  default: unknown
  description: string
  updatedAt: Date | null
}

function definition(key: string): SettingDefinition {
  const def = SETTINGS[key]
  if (!def) {
    const known = Object.keys(SETTINGS).join(', ')
    throw usageError(`Unknown setting "${key}". Known settings: ${known}`, {
      actions: ['List them with: erp settings list'],
      data: { key, known: Object.keys(SETTINGS) },
    })
  }
  return def
}

/** Every known setting with its current value (or its default). */
export async function listSettings(trx: Knex.Transaction): Promise<Setting[]> {
  const rows: Array<{ key: string; value: unknown; updated_at: Date }> = await trx('settings').select('key', 'value', 'updated_at')
  const byKey = new Map(rows.map((r) => [r.key, r]))
  return Object.entries(SETTINGS).map(([key, def]) => {
    const row = byKey.get(key)
    return {
      key,
      value: row ? row.value : def.default,
      isSet: Boolean(row),
      default: def.default,
      description: def.description,
      updatedAt: row?.updated_at ?? null,
    }
  })
}

export async function getSetting(trx: Knex.Transaction, key: string): Promise<Setting> {
  definition(key)
  return (await listSettings(trx)).find((s) => s.key === key)!
}

/** A setting's value as stored, or its default: for services that read one setting. */
export async function settingValue<T>(trx: Knex.Transaction, key: string): Promise<T> {
  const def = definition(key)
  const row = await trx('settings').where({ key }).first('value')
  return (row ? row.value : def.default) as T
}

/** Several settings in one query (their defaults where not set), by key. */
export async function settingValues(trx: Knex.Transaction, keys: string[]): Promise<Map<string, unknown>> {
  const defs = keys.map((key) => [key, definition(key)] as const)
  const rows: Array<{ key: string; value: unknown }> = await trx('settings').whereIn('key', keys).select('key', 'value')
  const byKey = new Map(rows.map((r) => [r.key, r.value]))
  return new Map(defs.map(([key, def]) => [key, byKey.has(key) ? byKey.get(key) : def.default]))
}

export async function setSetting(trx: Knex.Transaction, key: string, text: string): Promise<Setting> {
  const parsed = definition(key).parse(text)
  if ('error' in parsed) {
    throw invalidData(`Invalid value ${JSON.stringify(text)} for ${key}: ${parsed.error}`, { data: { key, value: text } })
  }
  await trx.raw(
    `insert into settings (key, value) values (?, ?::jsonb)
     on conflict (key) do update set value = excluded.value, updated_at = ?::timestamptz
     where settings.value is distinct from excluded.value`,
    [key, JSON.stringify(parsed.value), await transactionNow(trx)],
  )
  return getSetting(trx, key)
}
