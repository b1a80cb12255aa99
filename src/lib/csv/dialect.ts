/** The delimiters a CSV file may use: comma, semicolon (spreadsheets with a decimal comma), tab. */
export const DELIMITERS = [',', ';', '\t'] as const

/** The bytes start with a UTF-8 byte order mark. */
export const hasBom = (b: Buffer) => b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf

/** The delimiter that occurs most often outside quotes on the header line (comma on a tie). */
export function detectDelimiter(chunk: Buffer): string {
  const counts = new Map<number, number>([[0x2c, 0], [0x3b, 0], [0x09, 0]])
  let quoted = false
  for (let i = hasBom(chunk) ? 3 : 0; i < chunk.length; i++) {
    const c = chunk[i]
    if (c === 0x22) quoted = !quoted
    else if (!quoted && (c === 0x0a || c === 0x0d)) break
    else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1)
  }
  let best = 0x2c
  for (const [c, n] of counts) if (n > counts.get(best)!) best = c
  return String.fromCharCode(best)
}
