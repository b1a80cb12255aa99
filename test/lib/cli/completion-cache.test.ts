import { expect } from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { applyCompletionUpdate, parseCompletionCache, rememberForCompletion } from '../../../src/lib/cli/completion-cache.js'
import { positionalKinds } from '../../../src/lib/cli/completion-scripts.js'

describe('the completion cache', () => {
  it('replaces or adds names per kind (warehouses per tenant), sorted, each once', () => {
    const start = parseCompletionCache('tenant\told\nwarehouse\tWH1\tacme\nwarehouse\tWH9\tbeta\nprofile\tprod\n')
    const text = applyCompletionUpdate(start, { tenants: ['acme', 'beta'], addTenants: ['acme'], warehouses: { tenant: 'acme', codes: ['MAIN'] } })
    expect(text).to.equal('profile\tprod\ntenant\tacme\ntenant\tbeta\nwarehouse\tMAIN\tacme\nwarehouse\tWH9\tbeta\n')
  })

  it('keeps out anything a shell would expand, read or written', () => {
    expect(parseCompletionCache('tenant\t$(rm -rf ~)\ntenant\t`id`\ntenant\t-x\nwarehouse\tWH1\t$(x)\nsecret\tabc\ntenant\tok\n')).to.deep.equal([{ kind: 'tenant', value: 'ok', tenant: '' }])
    expect(applyCompletionUpdate([], { tenants: ['a b', 'ok;', 'fine'], profiles: ['$HOME'] })).to.equal('tenant\tfine\n')
  })

  it('never fails the command that notes a name (a config dir that is a file)', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'erp-cmp-')), 'not-a-dir')
    fs.writeFileSync(file, '')
    const before = process.env.ERP_CONFIG_DIR
    process.env.ERP_CONFIG_DIR = file
    try {
      await rememberForCompletion({ tenants: ['acme'] })
    } finally {
      process.env.ERP_CONFIG_DIR = before
    }
    expect(fs.readFileSync(file, 'utf8')).to.equal('')
  })

  it('completes the first argument of the commands that name an existing tenant, profile or warehouse', () => {
    const kinds = positionalKinds([
      { id: 'tenants:show', args: { slug: {} as never } },
      { id: 'tenants:create', args: { slug: {} as never } },
      { id: 'tenants:clone', args: { from: {} as never, to: {} as never } },
      { id: 'auth:use', args: { name: {} as never } },
      { id: 'auth:login', args: { name: {} as never } },
      { id: 'warehouses:update', args: { code: {} as never } },
      { id: 'tenants:list', args: {} },
    ])
    expect(kinds).to.deep.equal([['auth use', 'profile'], ['tenants clone', 'tenant'], ['tenants show', 'tenant'], ['warehouses update', 'warehouse']])
  })
})
