import { Flags } from '@oclif/core'

import { usageError } from '../errors.js'
import { notATimestamp, parseTimestamp } from '../validation.js'
import { formatDuration } from './duration.js'

/** Flags shared by many commands, defined once. */

export const tenantFlag = Flags.string({
  char: 't',
  description: "Tenant slug (a tenant profile's own tenant by default)",
  env: 'ERP_TENANT',
  helpValue: '<slug>',
})

export const allTenantsFlag = Flags.boolean({
  description: 'Act on every tenant',
  exclusive: ['tenant'],
})

export const concurrencyFlag = Flags.integer({
  description: 'How many tenants to work on at once',
  default: 4,
  min: 1,
  max: 64,
})

export const dryRunFlag = Flags.boolean({
  description: 'Show what would change, change nothing',
})

export const yesFlag = Flags.boolean({
  char: 'y',
  description: 'Do not ask for confirmation (scripts)',
})

export const profileFlag = Flags.string({
  description: 'Connection profile to use (see erp auth list); ERP_PROFILE works too',
  helpGroup: 'GLOBAL',
  helpValue: '<name>',
})

export const noColorFlag = Flags.boolean({
  description: 'Turn colour off (NO_COLOR works too)',
  helpGroup: 'GLOBAL',
})

export const queryFlag = Flags.string({
  description:
    'JMESPath expression (jmespath.org) applied to the --json result; stdout gets only its value, ' +
    'warnings go to stderr. Implies --json.',
  helpGroup: 'GLOBAL',
  helpValue: '<jmespath>',
})

/** A duration flag ('5s', '15m', '7d'), parsed to milliseconds; help shows the default as a duration. */
const durationCustom = Flags.custom<number>({
  parse: async (input) => {
    const { parseDuration } = await import('./duration.js')
    return parseDuration(input)
  },
  helpValue: '<duration>',
})

export function durationFlag(options: { description: string; default: number; exclusive?: string[] }) {
  return durationCustom({ ...options, defaultHelp: async () => formatDuration(options.default) })
}

/** A date or date-time flag's value (--since 2026-11-01), through the one timestamp check. */
export function timestampFrom(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined
  const date = parseTimestamp(value)
  if (!date) throw usageError(`${flag}: ${notATimestamp(value)}`, { data: { [flag.replace(/^--/, '')]: value } })
  return date
}
