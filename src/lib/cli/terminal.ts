import { currentIo } from '../io.js'

/**
 * Whether we may talk to a person: prompts and spinners go to stderr and read stdin,
 * so both must be terminals; CI and ERP_CONTENT_TYPE=json mean a script is reading.
 */
export function isInteractive(): boolean {
  const io = currentIo()
  return (
    Boolean(io.stdin.isTTY && io.stderr.isTTY) &&
    !process.env.CI &&
    process.env.ERP_CONTENT_TYPE !== 'json'
  )
}

/** Colour on stdout, after no-color.org: NO_COLOR counts when set and non-empty. */
export function colorEnabled(argv: string[] = process.argv): boolean {
  if (colorRefused(argv)) return false
  const force = process.env.FORCE_COLOR
  if (force === '0' || force === 'false') return false
  // FORCE_COLOR=1 keeps colour through a pipe, e.g. into `less -R`, as chalk does.
  if (force) return true
  return Boolean(currentIo().stdout.isTTY)
}

/**
 * chalk and ora read FORCE_COLOR, not NO_COLOR: translate the operator's refusal for them.
 * Call from the init hook, before anything imports chalk.
 */
export function bridgeNoColor(argv: string[] = process.argv): void {
  if (colorRefused(argv)) process.env.FORCE_COLOR = '0'
}

function colorRefused(argv: string[]): boolean {
  return Boolean(process.env.NO_COLOR) || optionsOf(argv).includes('--no-color')
}

/** Arguments after `--` are operands, never flags. */
function optionsOf(argv: string[]): string[] {
  const end = argv.indexOf('--')
  return end === -1 ? argv : argv.slice(0, end)
}
