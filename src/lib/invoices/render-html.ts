import type { InvoiceDocument } from './document.js'
import { documentView, type PartyView } from './document-view.js'

const escapeHtml = (text: string | number | null | undefined): string =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** A self-contained HTML page of the document's view (document-view.ts); every value is escaped. */
export function renderHtml(doc: InvoiceDocument): string {
  const view = documentView(doc)
  const party = (p: PartyView) => `
      <div class="party"><h2>${escapeHtml(p.heading)}</h2><strong>${escapeHtml(p.name)}</strong>
        ${p.lines.map((l) => `<div>${escapeHtml(l)}</div>`).join('')}</div>`
  const cell = (numeric: boolean, text: string, tag = 'td') => `<${tag}${numeric ? ' class="n"' : ''}>${escapeHtml(text)}</${tag}>`
  const head = view.columns.map((c) => cell(c.numeric, c.title, 'th')).join('')
  const rows = view.rows.map((r) => `
        <tr>${view.columns.map((c) => cell(c.numeric, r[c.key])).join('')}</tr>`).join('')
  const taxed = view.taxes.length > 0
  const taxes = view.taxes.map((t) => `
        <tr><td>${escapeHtml(t.rate)}</td><td class="n">${escapeHtml(t.net)}</td><td class="n">${escapeHtml(t.tax)}</td><td class="n">${escapeHtml(t.gross)}</td></tr>`).join('')
  const total = taxed
    ? `<tr class="grand"><td>${escapeHtml(view.total.label)}</td><td class="n">${escapeHtml(view.total.net)}</td><td class="n">${escapeHtml(view.total.tax)}</td><td class="n">${escapeHtml(view.total.gross)}</td></tr>`
    : `<tr class="grand"><td>${escapeHtml(view.total.label)}</td><td class="n">${escapeHtml(view.total.gross)}</td></tr>`
  const logo = doc.logo ? `<img class="logo" alt="" src="data:image/${doc.logo.type};base64,${doc.logo.bytes.toString('base64')}">` : ''
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(view.title)}</title>
  <style>
    body { font-family: Helvetica, Arial, sans-serif; font-size: 13px; color: #222; margin: 2em; }
    h1 { font-size: 22px; margin: 0 0 .3em; } h2 { font-size: 12px; text-transform: uppercase; color: #666; margin: 0 0 .3em; }
    .logo { float: right; max-width: 180px; max-height: 70px; }
    .parties { display: flex; gap: 4em; margin: 1.5em 0; clear: both; } .muted { color: #777; }
    table { border-collapse: collapse; width: 100%; margin: 1em 0; } th, td { padding: 4px 6px; border-bottom: 1px solid #ddd; text-align: left; }
    th { background: #f3f3f3; } .n { text-align: right; white-space: nowrap; }
    .totals { width: auto; margin-left: auto; } .totals td { border: none; } .grand td { font-weight: bold; border-top: 2px solid #222; }
  </style>
</head>
<body>
  ${logo}
  <h1>${escapeHtml(view.title)}</h1>
  <div class="muted">${view.meta.map(escapeHtml).join(' · ')}</div>
  <div class="parties">${party(view.seller)}${party(view.buyer)}</div>
  <table>
    <thead><tr>${head}</tr></thead>
    <tbody>${rows}
    </tbody>
  </table>
  <table class="totals">
    ${taxed ? '<thead><tr><th>Tax rate</th><th class="n">Net</th><th class="n">Tax</th><th class="n">Gross</th></tr></thead>' : ''}
    <tbody>${taxes}
      ${total}
    </tbody>
  </table>
  ${view.notes.map((t) => `<p>${escapeHtml(t)}</p>`).join('\n  ')}
</body>
</html>
`
}
