import { expect } from 'chai'

import { globalFlagsAfterCommand } from '../../../src/lib/cli/global-flags.js'

describe('global flags before the command id', () => {
  it('moves --profile, --json and --no-color behind the command line', () => {
    expect(globalFlagsAfterCommand(['--profile', 'acme', 'tenants', 'show', 'acme'])).to.deep.equal(['tenants', 'show', 'acme', '--profile', 'acme'])
    expect(globalFlagsAfterCommand(['--profile=acme', '--json', 'tenants', 'list', '--deleted'])).to.deep.equal(['tenants', 'list', '--deleted', '--profile=acme', '--json'])
    expect(globalFlagsAfterCommand(['--no-color', 'doctor'])).to.deep.equal(['doctor', '--no-color'])
  })

  it('keeps them before a --, so they stay flags', () => {
    expect(globalFlagsAfterCommand(['--json', 'orders', 'confirm', '--', '-1'])).to.deep.equal(['orders', 'confirm', '--json', '--', '-1'])
  })

  it('leaves every other line as it is', () => {
    for (const argv of [
      ['tenants', 'list', '--profile', 'acme'], // already behind
      ['--tenant', 'acme', 'stock', 'levels'], // not every command has --tenant
      ['--profile'], // a value missing
      ['--profile', '--json', 'doctor'], // a flag is no profile name
      ['--json', '--help'], // nothing but flags
      ['--profile', 'acme'],
      [],
    ]) expect(globalFlagsAfterCommand(argv), argv.join(' ')).to.deep.equal(argv)
  })
})
