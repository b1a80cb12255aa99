// A static import: this module is only reached through the import() of a workbook's source, and
// the bundle gives a CommonJS package flagged __esModule (saxes) no named exports through import().
import { SaxesParser, type SaxesTagPlain } from 'saxes'

import { invalidData } from '../errors.js'

/**
 * A streaming XML parser (saxes) for a part of an attacker's workbook. A document type
 * declaration is refused outright: it is how entities are declared (the "billion laughs" and
 * external entities), and no spreadsheet part needs one. saxes itself expands only the five
 * predefined entities and character references, and reports an undeclared entity as an error.
 */
export type XmlParser = SaxesParser<{ xmlns: false; position: false }>
export type Tag = SaxesTagPlain

export async function xmlParser(where: string): Promise<XmlParser> {
  const parser = new SaxesParser({ xmlns: false, position: false }) as unknown as XmlParser
  parser.on('doctype', () => {
    throw invalidData(`${where}: the part declares a document type (DOCTYPE); erp refuses it, as no spreadsheet needs one and it is how XML entity attacks begin`, {
      actions: ['Open the file in Excel or LibreOffice and save it again'],
    })
  })
  parser.on('error', (err) => {
    throw invalidData(`${where}: the part is not well-formed XML (${err.message})`, { actions: ['Open the file in Excel or LibreOffice and save it again'], cause: err })
  })
  return parser
}

/** A tag's name without its namespace prefix (x:c → c): some writers prefix SpreadsheetML. */
export function localName(name: string): string {
  const colon = name.indexOf(':')
  return colon === -1 ? name : name.slice(colon + 1)
}

/** Parse a small part whole; `onTag` sees every start tag (attributes as written). */
export async function scanTags(xml: string, where: string, onTag: (name: string, attributes: Record<string, string>) => void): Promise<void> {
  const parser = await xmlParser(where)
  parser.on('opentag', (tag) => onTag(localName(tag.name), tag.attributes as Record<string, string>))
  parser.write(xml).close()
}
