/**
 * Global flags before the command id: `erp --profile acme tenants show acme`, as `gh` and `sf`
 * take them. oclif reads the first word as the command id, so bin/run.js moves the leading flags
 * every erp command has (the base command's --profile and --no-color, and --json) behind the
 * command line, before a `--` if there is one. Anything else stays where it is: an unknown leading
 * flag, a value missing, or nothing but flags (`erp --json --help`).
 */
const SWITCHES = new Set(['--json', '--no-color'])
const WITH_VALUE = new Set(['--profile'])

export function globalFlagsAfterCommand(argv: readonly string[]): string[] {
  const moved: string[] = []
  let i = 0
  while (i < argv.length) {
    const word = argv[i]
    if (SWITCHES.has(word) || [...WITH_VALUE].some((flag) => word.startsWith(`${flag}=`))) {
      moved.push(word)
      i += 1
    } else if (WITH_VALUE.has(word) && i + 1 < argv.length && !argv[i + 1].startsWith('-')) {
      moved.push(word, argv[i + 1])
      i += 2
    } else {
      break
    }
  }
  if (moved.length === 0 || i >= argv.length || argv[i].startsWith('-')) return [...argv]
  const rest = argv.slice(i)
  const end = rest.indexOf('--')
  return end === -1 ? [...rest, ...moved] : [...rest.slice(0, end), ...moved, ...rest.slice(end)]
}
