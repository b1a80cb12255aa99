#!/usr/bin/env node
// `erp --version` answers without loading oclif: importing it costs more than Node's own start,
// and version checks run in tight loops in scripts. Same text as oclif's version flag.
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { readFileSync } = await import('node:fs')
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`erp/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const [{ execute }, { globalFlagsAfterCommand }] = await Promise.all([
    import('@oclif/core'),
    import('../dist/src/lib/cli/global-flags.js'),
  ])
  // `erp --profile acme tenants show acme`: oclif takes the first word for the command id.
  await execute({ args: globalFlagsAfterCommand(args), dir: import.meta.url })
}
