import { expect } from 'chai'

import { commandLineProblem, loadManifest, suggestionsInSource, type Manifest } from '../helpers/command-line.js'

/**
 * Every command erp suggests (an error's actions, a "… with: erp …" hint) runs as printed: its
 * flags and arguments are the ones the command has, in the built manifest (oclif.manifest.json).
 */
describe('suggested commands work as printed (oclif manifest)', () => {
  let manifest: Manifest
  before(() => {
    manifest = loadManifest()
  })

  it('tells a command line that runs from one that does not', () => {
    const problem = (line: string) => commandLineProblem(manifest, line)
    // The suggestion that started this: --code is a flag of price-lists create, not an argument.
    expect(problem('price-lists create <code> --currency EUR --default')).to.match(/takes 0 argument/)
    expect(problem('price-lists create --code <code> --currency EUR --default')).to.equal(null)
    expect(problem('price-lists create --currency EUR')).to.match(/needs --code/)
    expect(problem('migrate --registry')).to.match(/no command "migrate --registry"/)
    expect(problem('tenants create acme --bogus')).to.match(/has no flag --bogus/)
    expect(problem('invoices pay X --amount')).to.match(/--amount needs a value/)
    expect(problem('customers show')).to.equal(null) // named in prose: it exists
    expect(problem('customers show C1 C2')).to.match(/takes 1 argument/)
    expect(problem('locations update X --no-active')).to.equal(null)
    expect(problem('stock levels -s <sku> --below-reorder')).to.equal(null)
    expect(problem('invoices issue 1 2 3')).to.equal(null) // takes many
    expect(problem('backup key import --from-stdin < key.b64')).to.equal(null)
  })

  it('finds the suggestions in the source, and each one parses against the manifest', () => {
    const suggestions = suggestionsInSource(manifest)
    const commands = suggestions.map((s) => s.command)
    // The scan reaches the ones this test was written for (it cannot pass by finding nothing).
    for (const known of [
      'price-lists create --code <value> --currency EUR --default',
      'invoices issue X',
      'migrate latest --registry',
      'tenants delete X --purge --yes',
      'prices set --list <value> --sku <value> --price <value>',
      'customer-groups create <value> --name <value>',
    ]) expect(commands, known).to.include(known)
    expect(suggestions.length).to.be.greaterThan(100)
    const broken = suggestions
      .map((s) => ({ ...s, problem: commandLineProblem(manifest, s.command) }))
      .filter((s) => s.problem !== null)
      .map((s) => `${s.file}:${s.line}: erp ${s.command} — ${s.problem}`)
    expect(broken).to.deep.equal([])
  })
})
