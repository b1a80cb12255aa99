import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max'

import type { Problems } from '../validation.js'

/**
 * Phone numbers read with libphonenumber (Google's metadata, through libphonenumber-js) in the
 * customer's country: a number valid there is stored normalised in its international form
 * ('(212) 555-0199' in the US → '+1 212 555 0199', extension kept); one that is not (an old
 * number, a country not known) is kept as written, as long as it reads as a number at all: digits
 * with spaces, brackets, dots, slashes or dashes, an optional leading + and an extension. Only
 * text that no reading makes a number of ("n/a", "call reception", "12") is refused.
 */

const WRITTEN = /^\+?[\d\s().\/-]*\d[\d\s().\/-]*(\s*(x|ext\.?|extension|#)\s*\d{1,7})?$/i

export type PhoneReading = { phone: string; normalised: boolean }

/** The phone as stored, or null for a blank one; undefined after recording a problem. */
export function checkPhoneNumber(problems: Problems, field: string, value: string | null | undefined, country?: string | null): string | null | undefined {
  const reading = readPhone(value, country)
  if (reading === undefined) {
    problems.add(field, `"${value}" is not a phone number: write digits, with spaces, ( ) . / - as you like, an optional leading + and an extension (x 12)`)
    return undefined
  }
  return reading?.phone ?? null
}

/** null for a blank value, undefined when the text is no number. */
export function readPhone(value: string | null | undefined, country?: string | null): PhoneReading | null | undefined {
  if (value === null || value === undefined) return null
  const text = value.trim()
  if (text === '') return null
  if (text.length > 40) return undefined
  const parsed = parsePhoneNumberFromString(text, country ? { defaultCountry: country.toUpperCase() as CountryCode } : undefined)
  if (parsed?.isValid()) return { phone: parsed.formatInternational(), normalised: true }
  const digits = text.replace(/\D/g, '').length
  if (WRITTEN.test(text) && digits >= 3 && digits <= 20) return { phone: text, normalised: false }
  return undefined
}
