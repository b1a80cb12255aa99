import { Flags } from '@oclif/core'

import { currentIo } from '../io.js'
import type { ListOptions } from './render.js'

const OUTPUTS = ['table', 'csv', 'json'] as const

/** The list flags people know from the Heroku and sf CLIs, shared by every list command. */
export const listFlags = {
  columns: Flags.string({
    description: 'Only show these columns, in this order (comma-separated)',
    multiple: true,
    delimiter: ',',
  }),
  sort: Flags.string({
    description: 'Sort by these columns (comma-separated); prefix with - for descending, e.g. -created',
    multiple: true,
    delimiter: ',',
  }),
  filter: Flags.string({
    // No delimiter: values may contain commas. Repeat the flag instead; filters combine with AND.
    description: 'col=value (substring, case-insensitive) or col==value (exact)',
    multiple: true,
  }),
  output: Flags.string({
    description: 'Output format',
    options: [...OUTPUTS],
    default: 'table',
  }),
  'no-header': Flags.boolean({ description: 'Leave out the header row (table and csv)' }),
  'no-truncate': Flags.boolean({ description: 'Do not shorten cells to fit the terminal width (only a terminal gets them shortened: piped output has whole values)' }),
}

/** The list flags as render options. Cells are cut to the width only on a terminal: a pipe or a file gets whole values. */
export function listOptionsFrom(flags: Record<string, unknown>, color: boolean): ListOptions {
  return {
    columns: stringList(flags.columns),
    sort: stringList(flags.sort),
    filter: stringList(flags.filter),
    output: OUTPUTS.find((o) => o === flags.output) ?? 'table',
    header: flags['no-header'] !== true,
    truncate: flags['no-truncate'] !== true && Boolean(currentIo().stdout.isTTY),
    color,
    terminal: Boolean(currentIo().stdout.isTTY),
  }
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined
}
