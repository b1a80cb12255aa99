import { readFile, writeFile } from 'node:fs/promises'

import type { Knex } from 'knex'

import { invalidData } from '../errors.js'
import { currentIo } from '../io.js'
import { countryName } from '../iso-codes.js'
import { settingValues } from '../settings/settings.js'
import { queryRows } from '../db/query-rows.js'
import { getInvoice, type InvoiceDetail } from './invoice.js'
import { renderHtml } from './render-html.js'
import { renderPdf } from './render-pdf.js'

/**
 * What an invoice document shows: seller and buyer, lines, taxes per rate, totals, payment terms,
 * where to pay and what to quote. Read in the tenant's transaction; rendering (document-view.ts,
 * then HTML or PDF) never reaches the database.
 */

export interface Party {
  name: string
  code?: string
  taxId: string | null
  /** Address lines, the country by its name last. */
  address: string[]
}

export interface Logo {
  type: 'png' | 'jpeg'
  bytes: Buffer
}

export interface InvoiceDocument {
  invoice: InvoiceDetail
  title: string
  seller: Party
  buyer: Party
  /** Lines of the seller's bank details (setting company.bank_details); empty when not set. */
  bankDetails: string[]
  /** What the customer quotes with a payment (setting invoices.payment_reference); null for drafts and credit notes. */
  paymentReference: string | null
  logo: Logo | null
}

const SETTING_KEYS = ['company.name', 'company.address', 'company.country', 'company.tax_id', 'company.bank_details', 'invoices.payment_reference']

export async function invoiceDocument(trx: Knex.Transaction, ref: string | number, sellerName: string, logo: Logo | null = null): Promise<InvoiceDocument> {
  const invoice = await getInvoice(trx, ref)
  // One query for the settings: queries on one connection run one after the other.
  const settings = await settingValues(trx, SETTING_KEYS)
  const setting = (key: string) => String(settings.get(key) ?? '')
  const [buyer] = await queryRows<{ name: string; code: string; tax_id: string | null; address: string[] | null; country: string | null }>(
    trx,
    `select c.name, c.code, c.tax_id, a.address, a.country
       from customers c
       left join lateral (
         select array_remove(array[a.line1, a.line2, nullif(concat_ws(' ', a.postal_code, a.city), ''), a.region], null) as address, a.country
           from customer_addresses a where a.customer_id = c.id and a.kind = 'billing'
          order by a.is_default desc, a.id limit 1) a on true
      where c.code = ?`,
    [invoice.customer],
  )
  const kind = invoice.kind === 'credit_note' ? 'Credit note' : 'Invoice'
  const reference = setting('invoices.payment_reference')
  return {
    invoice,
    title: invoice.number ? `${kind} ${invoice.number}` : `Draft ${kind.toLowerCase()} (not issued)`,
    seller: {
      name: setting('company.name') || sellerName,
      taxId: setting('company.tax_id') || null,
      address: withCountry(lines(setting('company.address')), setting('company.country')),
    },
    buyer: { name: buyer.name, code: buyer.code, taxId: buyer.tax_id, address: withCountry((buyer.address ?? []).filter((s) => s !== ''), buyer.country) },
    bankDetails: lines(setting('company.bank_details')),
    paymentReference: invoice.kind === 'invoice' && invoice.number && reference
      ? reference.replaceAll('{number}', invoice.number).replaceAll('{customer}', invoice.customer)
      : null,
    logo,
  }
}

const lines = (text: string) => text.split('|').map((s) => s.trim()).filter(Boolean)

/** A country code is shown by its English name (FR → France); anything else as it is. */
function withCountry(address: string[], country: string | null): string[] {
  if (!country) return address
  return [...address, countryName(country.toUpperCase()) ?? country]
}

const LOGO_LIMIT = 2 * 1024 * 1024

/** A logo file for the document: PNG or JPEG (by its first bytes, whatever its name), at most 2 MB. */
export async function readLogo(path: string): Promise<Logo> {
  const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw invalidData(`Cannot read the logo ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`)
  })
  if (bytes.length > LOGO_LIMIT) throw invalidData(`The logo ${path} is ${bytes.length} bytes: at most ${LOGO_LIMIT} (2 MB)`)
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { type: 'png', bytes }
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { type: 'jpeg', bytes }
  throw invalidData(`The logo ${path} is not a PNG or JPEG image`, { actions: ['Give a .png or .jpg file'] })
}

export interface RenderedDocument {
  invoice: string
  number: string | null
  format: 'pdf' | 'html'
  /** The file written, or '-' for stdout. */
  path: string
  bytes: number
}

/** Render and write a document: to `out`, to stdout for '-', or to <number>.<format> in the working directory. */
export async function writeInvoiceDocument(
  trx: Knex.Transaction,
  input: { invoice: string | number; format: 'pdf' | 'html'; out?: string; sellerName: string; logo?: Logo },
): Promise<RenderedDocument> {
  const doc = await invoiceDocument(trx, input.invoice, input.sellerName, input.logo ?? null)
  const body = input.format === 'pdf' ? await renderPdf(doc) : Buffer.from(renderHtml(doc), 'utf8')
  const name = (doc.invoice.number ?? `draft-${doc.invoice.id}`).replace(/[^A-Za-z0-9._-]/g, '_')
  const path = input.out ?? `${name}.${input.format}`
  if (path === '-') await new Promise<void>((resolve, reject) => currentIo().stdout.write(body, (err) => (err ? reject(err) : resolve())))
  else await writeFile(path, body)
  return { invoice: doc.invoice.id, number: doc.invoice.number, format: input.format, path, bytes: body.length }
}
