import { ADDRESS_KINDS, checkAddress, type AddressKind } from '../customers/addresses.js'
import { checkPhone } from '../customers/customers.js'
import { CODE, CODE_RULE } from '../customers/groups.js'
import { countryCode } from '../fields/country.js'
import { quoteLiteral } from '../db/identifiers.js'
import { checkDecimal, checkEmail, checkInteger, checkText, optionalText, type Problems } from '../validation.js'
import { assignments, changedSql, type ColumnSpec } from './assignments.js'
import { insertInBulk, type BulkLoadOption } from './bulk-load.js'
import { checkKeysUnique, checkNaturalKey, type NaturalKey } from './natural-key.js'
import { guardFormulaSql, type EntitySpec, type FieldSpec, type MergeCounts, type StagedImport } from './spec.js'

const CODE_KEY: NaturalKey = { field: 'code', table: 'customers', label: 'customer code', noun: 'customer with this code', thing: 'customer' }

/**
 * Customers with their group (by code) and their default billing and shipping address
 * (billing_line1, billing_city… shipping_country columns).
 */
const blankIsNull = (check: (p: Problems, v: string) => string | null | undefined) =>
  (p: Problems, v: string) => (v.trim() === '' ? null : check(p, v))

const COLUMNS: ColumnSpec[] = [
  { field: { key: 'name', required: (m) => m !== 'update', text: true, doc: 'The customer\'s name.', example: 'Alfreds Futterkiste', check: (p, v) => checkText(p, 'name', v, 300) }, column: 'name' },
  { field: { key: 'email', text: true, doc: 'Email address.', example: 'orders@example.com', check: blankIsNull((p, v) => checkEmail(p, 'email', v)) }, column: 'email' },
  // Read in checkRow, with the customer's country.
  { field: { key: 'phone', aliases: ['telephone', 'tel'], text: true, doc: 'Phone number, read in the customer\'s country (kept as written, normalised when valid).', example: '(030) 1234567', check: (_p, v) => (v.trim() === '' ? null : v.trim()) }, column: 'phone' },
  { field: { key: 'tax_id', aliases: ['vat', 'vat number'], text: true, doc: 'VAT or tax number.', example: 'DE123456789', check: (p, v) => optionalText(p, 'taxId', v, 40) ?? null }, column: 'tax_id' },
  {
    field: { key: 'credit_limit', type: 'decimal', doc: 'Credit limit (2 decimals at most).', example: '5000', check: blankIsNull((p, v) => checkDecimal(p, 'creditLimit', v, { precision: 14, scale: 2, nonNegative: true })) },
    column: 'credit_limit',
    cast: 'numeric',
  },
  {
    field: { key: 'payment_terms_days', aliases: ['payment terms'], type: 'integer', doc: 'Days to pay, 0 to 365 (30 when empty).', example: '30', check: blankIsNull((p, v) => checkInteger(p, 'paymentTermsDays', v, 0, 365)?.toString()) },
    column: 'payment_terms_days',
    cast: 'integer',
    notNullDefault: '30',
  },
]

const ADDRESS_PARTS = [
  ['line1', 'line1'], ['line2', 'line2'], ['city', 'city'], ['postal_code', 'postalCode'], ['region', 'region'], ['country', 'country'],
] as const

const ADDRESS_EXAMPLE: Record<string, string> = { line1: 'Obere Str. 57', line2: '', city: 'Berlin', postal_code: '12209', region: '', country: 'DE' }

const addressFields: FieldSpec[] = ADDRESS_KINDS.flatMap((kind) => ADDRESS_PARTS.map(([part]) => ({
  key: `${kind}_${part}`,
  text: part !== 'country',
  doc: `The default ${kind} address: ${part.replace('_', ' ')}${part === 'country' ? ' (ISO code, like DE)' : ''}. An address with any cell filled must be complete; one column can feed both addresses (--map "City=billing_city,shipping_city").`,
  example: ADDRESS_EXAMPLE[part],
  check: (_p: Problems, v: string) => (v.trim() === '' ? null : v.trim()),
})))


export const customersSpec: EntitySpec<BulkLoadOption> = {
  entity: 'customers',
  key: 'code',

  async fields() {
    return [
      {
        key: 'code',
        aliases: ['customer code', 'customer'],
        text: true,
        doc: 'The customer\'s code (the key).',
        example: 'ALFKI',
        check: (p, v) => {
          const code = v.trim()
          if (!CODE.test(code)) p.add('code', `"${v}" is not a customer code: ${CODE_RULE}`)
          return code
        },
      },
      ...COLUMNS.map((c) => c.field),
      { key: 'group', aliases: ['customer group', 'group code'], text: true, doc: 'A customer group code, which must exist (erp customer-groups list).', example: '', check: (_p, v) => (v.trim() === '' ? null : v.trim()) },
      ...addressFields,
    ]
  },

  /**
   * An address is all or nothing: once one of its cells is filled, it must be complete and valid.
   * The phone is read in the billing (else shipping) country.
   */
  checkRow(problems, row) {
    for (const kind of ADDRESS_KINDS) {
      const cells = ADDRESS_PARTS.map(([part]) => row[`${kind}_${part}`] ?? null)
      if (cells.every((c) => c === null)) continue
      const input = Object.fromEntries(ADDRESS_PARTS.map(([, key], i) => [key, cells[i]]))
      const before = problems.list.length
      const checked = checkAddress(problems, kind, { kind, ...input } as never)
      for (const p of problems.list.slice(before)) p.field = `${kind}_${p.field.split('.').pop()!.replace('postalCode', 'postal_code')}`
      if (problems.list.length === before) row[`${kind}_country`] = checked.country as string
    }
    if (row.phone !== undefined && row.phone !== null) {
      const country = [row.billing_country, row.shipping_country].map((c) => (c ? countryCode(c) : null)).find((c) => c !== null)
      const phone = checkPhone(problems, 'phone', row.phone, country)
      if (phone !== undefined) row.phone = phone
    }
  },

  async validate(staged) {
    const { trx, columns, rows, errors } = staged
    const q = (sql: string) => trx.raw(sql)
    await checkNaturalKey(staged, CODE_KEY)
    const group = columns.get('group')
    if (group) {
      await q(`insert into ${errors} (line, field, value, message)
        select s.line, 'group', s.${group}, 'unknown customer group (see erp customer-groups list)'
        from ${rows} s where s.${group} is not null and not exists (select 1 from customer_groups g where g.code = s.${group})`)
    }
  },

  async validateUnique(staged) {
    await checkKeysUnique(staged, CODE_KEY)
  },

  async merge({ trx, mode, dryRun, columns, rows, trace }, options) {
    const code = columns.get('code')!
    const set = assignments(COLUMNS, columns, 'p')
    const group = columns.get('group')
    if (group) set.push({ column: 'group_id', insert: 'g.id', update: 'g.id' })
    const from = `${rows} s${group ? ` left join customer_groups g on g.code = s.${group}` : ''}`
    const changed = changedSql(set, 'p')

    let inserted = 0
    let updated = 0
    if (dryRun) {
      const { rows: counts } = await trx.raw(`select count(*) filter (where p.id is null)::int as inserted,
          count(*) filter (where p.id is not null and ${changed})::int as updated
        from ${from} left join customers p on p.code = s.${code}`)
      inserted = mode === 'update' ? 0 : counts[0].inserted
      updated = mode === 'insert' ? 0 : counts[0].updated
    } else {
      if (mode !== 'insert' && set.length > 0) {
        const result = await trx.raw(`update customers p set ${set.map((x) => `${x.column} = ${x.update}`).join(', ')}, updated_at = now()
          from ${from} where p.code = s.${code} and ${changed}`)
        updated = result.rowCount ?? 0
      }
      if (mode !== 'update') {
        const bulk = { table: 'customers', source: `select from ${rows}`, enabled: options.bulkLoad, trace }
        const skipped = mode === 'upsert' ? `select from ${rows} s join customers p on p.code = s.${code}` : undefined
        const result = await insertInBulk(trx, { ...bulk, skipped }, () => trx.raw(`insert into customers (code${set.map((x) => `, ${x.column}`).join('')})
          select s.${code}${set.map((x) => `, ${x.insert}`).join('')} from ${from}
          ${mode === 'upsert' ? `where not exists (select 1 from customers p where p.code = s.${code})` : ''}`))
        inserted = result.rowCount ?? 0
      }
    }
    let addressesSet = 0
    for (const kind of ADDRESS_KINDS) {
      if (ADDRESS_PARTS.some(([part]) => columns.has(`${kind}_${part}`))) addressesSet += await mergeAddresses({ trx, rows, dryRun, trace }, code, columns, kind, options)
    }
    return { inserted, updated, extra: { addressesSet } } satisfies MergeCounts
  },
}

/**
 * The row's address of a kind becomes the customer's default address of that kind: the current
 * default is updated in place when it differs, or a first default is inserted.
 */
async function mergeAddresses(
  { trx, rows, dryRun, trace }: Pick<StagedImport, 'trx' | 'rows' | 'dryRun' | 'trace'>, code: string, columns: Map<string, string>, kind: AddressKind, options: BulkLoadOption,
): Promise<number> {
  const value = (part: string) => (columns.has(`${kind}_${part}`) ? `s.${columns.get(`${kind}_${part}`)}` : 'null::text')
  const parts = ADDRESS_PARTS.map(([part]) => part)
  const present = value('line1')
  const differs = `(${parts.map((p) => `a.${p}`).join(', ')}) is distinct from (${parts.map((p) => value(p)).join(', ')})`
  const target = `join customers c on c.code = s.${code}`
  if (dryRun) {
    const { rows: n } = await trx.raw(`select count(*)::int as n from ${rows} s left join customers c on c.code = s.${code}
      left join customer_addresses a on a.customer_id = c.id and a.kind = ${quoteLiteral(kind)} and a.is_default
      where ${present} is not null and (a.id is null or ${differs})`)
    return n[0].n
  }
  const changed = await trx.raw(`update customer_addresses a set ${parts.map((p) => `${p} = ${value(p)}`).join(', ')}
    from ${rows} s ${target}
    where a.customer_id = c.id and a.kind = ${quoteLiteral(kind)} and a.is_default and ${present} is not null and ${differs}`)
  const current = `customer_addresses a where a.customer_id = c.id and a.kind = ${quoteLiteral(kind)} and a.is_default`
  const bulk = {
    table: 'customer_addresses',
    source: `select from ${rows} s ${target} where ${present} is not null`,
    skipped: `select from ${rows} s ${target} where ${present} is not null and exists (select 1 from ${current})`,
    enabled: options.bulkLoad,
    trace,
  }
  const added = await insertInBulk(trx, bulk, () => trx.raw(`insert into customer_addresses (customer_id, kind, is_default, ${parts.join(', ')})
    select c.id, ${quoteLiteral(kind)}, true, ${parts.map((p) => value(p)).join(', ')} from ${rows} s ${target}
    where ${present} is not null and not exists (select 1 from ${current})`))
  return (changed.rowCount ?? 0) + (added.rowCount ?? 0)
}

/** Customers (not archived) as CSV in the import's format, with their default addresses. */
export function exportCustomersSql(): string {
  const text = (expression: string, alias: string) => `${guardFormulaSql(expression)} as "${alias}"`
  const address = (kind: AddressKind) => ADDRESS_PARTS.map(([part]) => part === 'country'
    ? `${kind[0]}.country as "${kind}_country"`
    : text(`${kind[0]}.${part}`, `${kind}_${part}`))
  const join = (kind: AddressKind) =>
    `left join customer_addresses ${kind[0]} on ${kind[0]}.customer_id = c.id and ${kind[0]}.kind = ${quoteLiteral(kind)} and ${kind[0]}.is_default`
  return `copy (select ${[
    text('c.code', 'code'), text('c.name', 'name'), text('c.email', 'email'), text('c.phone', 'phone'), text('c.tax_id', 'tax_id'),
    'c.credit_limit as credit_limit', 'c.payment_terms_days as payment_terms_days', text('g.code', 'group'),
    ...address('billing'), ...address('shipping'),
  ].join(', ')}
    from customers c left join customer_groups g on g.id = c.group_id ${join('billing')} ${join('shipping')}
    where c.archived_at is null order by c.code) to stdout with (format csv, header true)`
}
