import { describePeriod, inPeriod } from './checks.js'
import { Decimal, PRICE_SCALE, fixed, plain } from './money.js'
import type { ItemRow, ListRow, PriceChoice, PricedLine } from './quote-types.js'

// ---- step 2: the price item ------------------------------------------------------------------

function applicable(item: ItemRow, qty: Decimal, date: string): boolean {
  return qty.greaterThanOrEqualTo(item.minQty) && inPeriod(date, item.validFrom, item.validTo)
}

/** Items arrive sorted by break (highest first), then latest start: the first applicable one wins. */
export function choosePrice(items: ItemRow[], primary: ListRow, fallback: ListRow | null, qty: Decimal, date: string): PriceChoice {
  const inList = (list: ListRow) => items.find((i) => i.listId === list.id && applicable(i, qty, date)) ?? null
  const own = inList(primary)
  if (own || !fallback) return { item: own, fellBack: false }
  const other = inList(fallback)
  return { item: other, fellBack: other !== null }
}

function describeItem(item: ItemRow): string {
  return `≥${item.minQty} at ${fixed(new Decimal(item.price), PRICE_SCALE)} (${describePeriod(item.validFrom, item.validTo)})`
}

export function priceExplanation(line: PricedLine, primary: ListRow, fallback: ListRow | null, date: string): string[] {
  const out: string[] = []
  const { item } = line.found
  const listNote = `price list ${primary.code}`
  if (line.input.override !== undefined) {
    out.push(`unit price overridden: ${fixed(line.unit, PRICE_SCALE)} (${primary.tax_inclusive ? 'gross' : 'net'}, basis of ${primary.code})`)
    if (item) out.push(`list price would have been ${describeItem(item)} from ${line.list.code === primary.code && !line.found.fellBack ? primary.code : fallback?.code}`)
    out.push('automatic discounts not applied: the unit price is overridden')
    return out
  }
  out.push(line.found.fellBack ? `${listNote} has no price for it; fell back to the default list ${line.list.code}` : listNote)
  out.push(`break ${describeItem(item!)} applied`)
  if (line.convertedFrom) {
    const [from, to] = line.list.tax_inclusive ? ['gross', 'net'] : ['net', 'gross']
    out.push(`${fixed(line.convertedFrom, PRICE_SCALE)} ${from} in ${line.list.code} is ${fixed(line.unit, PRICE_SCALE)} ${to} at ${plain(line.taxRate)}%, the basis of ${primary.code}`)
  }
  const qty = line.input.qty
  for (const other of line.row.items) {
    if (other === item || other.listId !== line.list.id) continue
    const what = `not used: ${describeItem(other)}`
    if (!inPeriod(date, other.validFrom, other.validTo)) out.push(`${what}: not valid on ${date}`)
    else if (qty.lessThan(other.minQty)) out.push(`${what}: quantity ${plain(qty)} is below ${other.minQty}`)
    else if (new Decimal(other.minQty).lessThan(item!.minQty)) out.push(`${what}: the higher break ≥${item!.minQty} applies`)
    else out.push(`${what}: superseded by the price valid ${describePeriod(item!.validFrom, item!.validTo)}`)
  }
  return out
}
