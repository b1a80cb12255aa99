import { readFileSync } from 'node:fs'

/**
 * The text of a PDF, read back with pdf.js (an npm package, so the suite needs no system tools).
 * Text runs are joined by single spaces, lines by newlines.
 */
export async function pdfText(file: string): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs')
  const doc = await pdfjs.getDocument({ data: new Uint8Array(readFileSync(file)), disableFontFace: true, verbosity: 0 }).promise
  const pages: string[] = []
  for (let n = 1; n <= doc.numPages; n++) {
    const { items } = await (await doc.getPage(n)).getTextContent()
    pages.push(items.map((item) => ('str' in item ? `${item.str}${item.hasEOL ? '\n' : ' '}` : '')).join(''))
  }
  await doc.destroy()
  return pages.join('\n').replace(/[ \t]+/g, ' ')
}
