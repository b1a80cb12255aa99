import { createRequire } from 'node:module'

import countries from 'i18n-iso-countries'

import { isoCountry } from '../iso-codes.js'

/**
 * A country as clients write it, to its ISO 3166-1 alpha-2 code: the code itself (any case), the
 * alpha-3 code (DEU), the English name with its usual variants (Germany, United States of America,
 * USA, Great Britain…, from i18n-iso-countries' English data) and a few aliases that data lacks
 * (UK, England, Holland). Anything else is refused, never guessed: "Korea" names two countries.
 */

/** Names clients write that the ISO data does not hold, each for one country only. */
const ALIASES: Record<string, string> = {
  uk: 'GB',
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  'northern ireland': 'GB',
  holland: 'NL',
  'viet nam': 'VN',
}

let registered = false

function data(): typeof countries {
  if (!registered) {
    const require = createRequire(import.meta.url)
    countries.registerLocale(require('i18n-iso-countries/langs/en.json'))
    registered = true
  }
  return countries
}

/** The alpha-2 code of a country however it is written, or null. */
export function countryCode(text: string): string | null {
  const value = text.trim().replace(/\s+/g, ' ')
  if (value === '') return null
  if (/^[A-Za-z]{2}$/.test(value)) return isoCountry(value) ?? ALIASES[value.toLowerCase()] ?? null
  const iso = data()
  if (/^[A-Za-z]{3}$/.test(value)) {
    const code = iso.alpha3ToAlpha2(value.toUpperCase())
    if (code && isoCountry(code)) return code
  }
  const alias = ALIASES[value.toLowerCase()]
  if (alias) return alias
  const code = iso.getAlpha2Code(value, 'en') ?? iso.getSimpleAlpha2Code(value, 'en')
  return code && isoCountry(code) ? code : null
}

/** How the accepted forms are described in messages. */
export const COUNTRY_FORMS = 'an ISO code (GB, GBR) or an English name (United Kingdom, UK, Germany)'
