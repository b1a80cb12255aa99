#!/usr/bin/env node
// `erp --version` answers without loading oclif: importing it costs more than Node's own start,
// and version checks run in tight loops in scripts. Same text as oclif's version flag.
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { readFileSync } = await import('node:fs')
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`erp/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // The bundle `npm run build` makes (scripts/bundle.js): oclif, knex, pg and erp in a few files
  // instead of ~600 modules. Without one (a build that ran tsc only), or with ERP_NO_BUNDLE=1
  // (stack traces in dist/src, the benchmark's comparison), oclif over dist/src.
  let bundle
  if (!process.env.ERP_NO_BUNDLE) {
    try {
      bundle = await import('../dist/bundle/erp.js')
    } catch (err) {
      if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/bundle/erp.js')) throw err
    }
  }
  if (bundle) {
    await bundle.run(import.meta.url, args)
  } else {
    // `erp --profile acme tenants show acme`: oclif takes the first word for the command id.
    const [{ execute }, { globalFlagsAfterCommand }] = await Promise.all([import('@oclif/core'), import('../dist/src/lib/cli/global-flags.js')])
    await execute({ args: globalFlagsAfterCommand(args), dir: import.meta.url })
  }
}
