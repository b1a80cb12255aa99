import { expect } from 'chai'

import type { Db } from '../../src/lib/db/connect.js'
import { createOrder } from '../../src/lib/orders/orders.js'
import { failedWith, okResult, runCli } from '../helpers/cli.js'
import { adminQuery, openTestDb } from '../helpers/database.js'
import { inTenant, salesTenant } from '../lib/orders/fixtures.js'

const ok = okResult
const failed = failedWith

describe('erp orders / erp invoices with several ids (through bin/run.js)', function () {
  this.timeout(120_000)
  let db: Db
  let slug: string
  const erp = (...args: string[]) => runCli([...args, '--tenant', slug, '--json'])
  const order = (customer: string, lines: Array<{ sku: string; qty: string }>) =>
    inTenant(db, slug, (trx) => createOrder(trx, { customer, lines })).then((o) => o.id)
  const sql = async (text: string, bindings: unknown[] = []) => inTenant(db, slug, async (trx) => (await trx.raw(text, bindings as never[])).rows)

  before(async () => {
    db = await openTestDb()
    slug = await salesTenant(db, { prefix: 'obat' })
  })
  after(async () => db.close())

  it('confirms, ships, invoices and issues several orders per command, one item per order', async () => {
    const ids = [
      await order('CASH', [{ sku: 'WIDGET', qty: '2' }, { sku: 'BOOK', qty: '1' }]),
      await order('SLOW', [{ sku: 'MILK', qty: '3' }]),
      await order('CASH', [{ sku: 'ODD', qty: '7' }]),
    ]
    const confirmed = ok(await erp('orders', 'confirm', ids[0], `SO-${ids[1]}`, ids[2]))
    expect(confirmed.items.map((i: { reference: string }) => i.reference)).to.deep.equal(ids.map((id) => `SO-${id}`))
    expect(confirmed.items[1].reservations).to.deep.equal([{ line: 1, sku: 'MILK', location: 'WH1/STOCK', lot: 'L-SOON', qty: '3' }])

    const shipped = ok(await erp('orders', 'fulfil', ...ids))
    expect(shipped.items.map((i: { state: string }) => i.state)).to.deep.equal(['fulfilled', 'fulfilled', 'fulfilled'])
    expect(shipped.items[0].moves.map((m: { sku: string }) => m.sku).sort()).to.deep.equal(['BOOK', 'WIDGET'])

    const drafts = ok(await erp('invoices', 'create', ...ids.flatMap((id) => ['--order', id])))
    expect(drafts.items.map((i: { order: string }) => i.order)).to.deep.equal(ids)
    const shown = ok(await erp('orders', 'show', ids[0]))
    expect(drafts.items[0].gross).to.equal(shown.gross)
    expect(shown.state).to.equal('closed')

    const issued = ok(await erp('invoices', 'issue', ...drafts.items.map((i: { invoice: string }) => i.invoice)))
    const seqs = issued.items.map((i: { number: string }) => Number(i.number.slice(-6)))
    expect(seqs).to.deep.equal([seqs[0], seqs[0] + 1, seqs[0] + 2])
    const { rows: [audit] } = await adminQuery(`select args from erp.audit_log where command = 'invoices issue' and outcome = 'ok' and tenant = $1 order by id desc limit 1`, [slug])
    expect(audit.args.argv).to.deep.equal(drafts.items.map((i: { invoice: string }) => i.invoice))
  })

  it('writes nothing when one order of a batch fails, and names each failing order with its reason', async () => {
    const good = await order('CASH', [{ sku: 'BOOK', qty: '1' }])
    const short = await order('CASH', [{ sku: 'BOOK', qty: '1' }, { sku: 'WIDGET', qty: '999999' }])
    const cancelled = await order('CASH', [{ sku: 'BOOK', qty: '1' }])
    ok(await erp('orders', 'cancel', cancelled, '--yes'))
    const [before] = await sql(`select count(*)::int as n from reservations`)

    const err = failed(await erp('orders', 'confirm', good, short, cancelled), 1, 'CONFLICT')
    expect(err.message).to.match(new RegExp(`^2 of 3 orders failed: SO-${short} not confirmed, not enough stock: line 2 WIDGET needs 999999, \\d+ available; Cannot confirm SO-${cancelled}: it is cancelled`))
    expect(err.data.failures.map((f: { item: string }) => f.item)).to.deep.equal([`SO-${short}`, `SO-${cancelled}`])
    expect(err.data.failures[0].data.shortages.map((s: { line: number; sku: string }) => [s.line, s.sku])).to.deep.equal([[2, 'WIDGET']])
    expect(await sql(`select count(*)::int as n from reservations`)).to.deep.equal([before])
    expect(ok(await erp('orders', 'show', good)).state).to.equal('draft')

    // Refused by credit only: the exit code of a refusal (77); --override lets them through, audited.
    const tight = [await order('TIGHT', [{ sku: 'WIDGET', qty: '5' }]), await order('TIGHT', [{ sku: 'WIDGET', qty: '5' }])]
    const refused = failed(await erp('orders', 'confirm', ...tight), 77, 'NOT_ALLOWED')
    expect(refused.data.failures.map((f: { item: string }) => f.item)).to.deep.equal([`SO-${tight[1]}`])
    const forced = await erp('orders', 'confirm', ...tight, '--override', 'agreed')
    expect(ok(forced).items.map((i: { credit: { overridden: boolean } }) => i.credit.overridden)).to.deep.equal([false, true])
    expect(forced.json.warnings).to.have.length(1)

    // Fulfil: the draft one is named, the confirmed one does not ship.
    ok(await erp('orders', 'confirm', good))
    const notConfirmed = failed(await erp('orders', 'fulfil', good, short), 1, 'CONFLICT')
    expect(notConfirmed.message).to.match(new RegExp(`^1 of 2 orders failed: Cannot fulfil SO-${short}: it is draft`))
    expect(ok(await erp('orders', 'show', good)).state).to.equal('confirmed')
    failed(await erp('orders', 'fulfil', good, short, '--line', '1'), 2, 'USAGE')

    // Invoice: nothing shipped of one of them, no draft is written.
    ok(await erp('orders', 'fulfil', good))
    const [drafts] = await sql(`select count(*)::int as n from invoices`)
    const notShipped = failed(await erp('invoices', 'create', '--order', good, '--order', tight[0]), 1, 'CONFLICT')
    expect(notShipped.message).to.match(new RegExp(`Cannot invoice SO-${tight[0]}: it is confirmed`))
    expect(await sql(`select count(*)::int as n from invoices`)).to.deep.equal([drafts])
    failed(await erp('invoices', 'create', '--order', good, '--order', tight[0], '--line', '1'), 2, 'USAGE')

    // Issue: an issued one and an unknown one are named; the draft keeps no number.
    const draft = ok(await erp('invoices', 'create', '--order', good))
    const other = ok(await erp('invoices', 'create', '--customer', 'CASH', '--line', 'BOOK:1'))
    ok(await erp('invoices', 'issue', other.id))
    const twice = failed(await erp('invoices', 'issue', draft.id, other.id, '999999'), 1, 'FAILED')
    expect(twice.data.failures.map((f: { kind: string }) => f.kind)).to.deep.equal(['CONFLICT', 'NOT_FOUND'])
    expect(ok(await erp('invoices', 'show', draft.id)).number).to.equal(null)
  })

  it('--skip-failing does every order and invoice that can be done, reports each one left out, and exits 1', async () => {
    const good = [await order('CASH', [{ sku: 'BOOK', qty: '1' }]), await order('CASH', [{ sku: 'BOOK', qty: '1' }])]
    const short = await order('CASH', [{ sku: 'BOOK', qty: '1' }, { sku: 'WIDGET', qty: '999999' }])
    const [before] = await sql(`select count(*)::int as n from reservations where reference = ?`, [`SO-${short}`])

    // The short order is left out (its own update rolled back with its savepoint); the others are confirmed.
    const confirmed = await erp('orders', 'confirm', good[0], short, good[1], '999999', 'ext:NOPE-1', '--skip-failing')
    expect(confirmed.code, confirmed.stdout).to.equal(1)
    expect(confirmed.json.status).to.equal(1)
    expect(confirmed.json.result.items.map((i: { reference: string }) => i.reference)).to.deep.equal(good.map((id) => `SO-${id}`))
    expect(confirmed.json.result.failures.map((f: { item: string; kind: string }) => [f.item, f.kind])).to.deep.equal([[`SO-${short}`, 'CONFLICT'], ['SO-999999', 'NOT_FOUND'], ['ext:NOPE-1', 'NOT_FOUND']])
    expect(confirmed.json.result.failures[0].message).to.match(/not enough stock: line 2 WIDGET/)
    expect(confirmed.json.result.failures[2].message).to.equal('No order with external reference "NOPE-1"')
    expect(confirmed.json.warnings).to.have.length(3)
    // Without --skip-failing unknown references fail the batch, each named.
    const unknown = await erp('orders', 'confirm', good[0], 'ext:NOPE-1', 'ext:NOPE-2')
    expect(unknown.code).to.equal(1)
    expect(unknown.json.error.kind).to.equal('NOT_FOUND')
    expect(unknown.json.error.message).to.match(/^2 of 3 orders failed: No order with external reference "NOPE-1"; No order with external reference "NOPE-2"/)
    expect(ok(await erp('orders', 'show', short)).state).to.equal('draft')
    expect(await sql(`select count(*)::int as n from reservations where reference = ?`, [`SO-${short}`])).to.deep.equal([before])
    for (const id of good) expect(ok(await erp('orders', 'show', id)).state).to.equal('confirmed')

    // Without --json a person reads each one left out on stderr.
    const plain = await runCli(['orders', 'fulfil', good[0], short, good[1], '--skip-failing', '--tenant', slug])
    expect(plain.code).to.equal(1)
    expect(plain.stdout).to.match(/Shipped 2 orders/)
    expect(plain.stderr).to.contain(`SO-${short} skipped: Cannot fulfil SO-${short}: it is draft`)

    const drafts = await erp('invoices', 'create', '--order', good[0], '--order', short, '--order', good[1], '--skip-failing')
    expect(drafts.code).to.equal(1)
    expect(drafts.json.result.items.map((i: { order: string }) => i.order)).to.deep.equal(good)
    expect(drafts.json.result.failures.map((f: { item: string }) => f.item)).to.deep.equal([`SO-${short}`])

    // Invoices are named by number once issued: the issued one is left out, by its number, whichever way it was given.
    const [first, second] = drafts.json.result.items.map((i: { invoice: string }) => i.invoice)
    const issuedOne = ok(await erp('invoices', 'issue', first))
    const issued = await erp('invoices', 'issue', first, second, '--skip-failing')
    expect(issued.code).to.equal(1)
    expect(issued.json.result.items.map((i: { id: string }) => i.id)).to.deep.equal([second])
    expect(issued.json.result.failures.map((f: { item: string; kind: string }) => [f.item, f.kind])).to.deep.equal([[issuedOne.number, 'CONFLICT']])

    // Nothing left that can be done: no items, every failure, exit 1.
    const none = await erp('invoices', 'issue', first, second, '--skip-failing')
    expect(none.code).to.equal(1)
    expect(none.json.result.items).to.deep.equal([])
    expect(none.json.result.failures).to.have.length(2)
  })
})
