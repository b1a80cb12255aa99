/**
 * ISO 4217 currencies and ISO 3166-1 alpha-2 countries, from Node's own ICU data (Intl): no
 * dependency, and the list moves with the runtime. A code is taken as the operator typed it, in
 * any case; what comes back is the canonical upper-case code.
 */

/** Codes ISO 3166 reserves or leaves to users (AA, QM–QZ, XA–XZ, ZZ) and the exceptional EU, EZ, UN: not countries. */
const NOT_A_COUNTRY = /^(AA|Q[M-Z]|X[A-Z]|ZZ|EU|EZ|UN)$/
/** Kosovo: user-assigned in ISO 3166, yet the code its businesses, the EU and CLDR use. */
const KOSOVO = 'XK'

let currencies: Set<string> | undefined

/** The ISO 4217 code of a current currency, or null. */
export function isoCurrency(text: string): string | null {
  const code = text.trim().toUpperCase()
  currencies ??= new Set(Intl.supportedValuesOf('currency'))
  return currencies.has(code) ? code : null
}

/** The ISO 3166-1 alpha-2 code of a country, or null; retired aliases (UK, YU) are refused, not guessed. */
export function isoCountry(text: string): string | null {
  const code = text.trim().toUpperCase()
  if (!/^[A-Z]{2}$/.test(code)) return null
  if (code === KOSOVO) return code
  if (NOT_A_COUNTRY.test(code)) return null
  // ICU maps an alias to its successor (UK → GB): only a code that is its own canonical form is one.
  if (new Intl.Locale(`und-${code}`).region !== code) return null
  return countryName(code) === null ? null : code
}

/** The English name of a country code ("FR" → "France"), or null when ICU has none. */
export function countryName(code: string): string | null {
  return new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' }).of(code) ?? null
}
