import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/**
 * A folder of the test file's own under the system's temp dir, and `file` to write an input into it
 * (f0.csv, f1.csv… unless named), for the import tests' CSV and workbook files.
 */
export function scratchFiles(prefix: string): { dir: string; file: (content: string | Buffer, name?: string) => string } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  let n = 0
  return {
    dir,
    file(content, name = `f${n++}.csv`) {
      const p = path.join(dir, name)
      writeFileSync(p, content)
      return p
    },
  }
}
