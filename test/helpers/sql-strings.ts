import { readFileSync } from 'node:fs'
import ts from 'typescript'

/** A string literal of a source file, as the SQL it holds. */
export interface SqlString {
  file: string
  line: number
  /** The text; each `${…}` of a template stands as `?`. */
  text: string
  /** Inside a migration's down(). */
  inDown: boolean
  /** The first argument of a `.raw(…)` call. */
  isRaw: boolean
}

const SQL_START = /^\s*\(?\s*(with|select|insert|update|delete|create|drop|alter|set|copy|lock|truncate|analyze|grant|revoke|comment|do|reset|merge|values)\s/i

/** True when a string reads as a statement (not an error message or a fragment). */
export const readsAsStatement = (text: string) => SQL_START.test(text)

/**
 * Every string and template literal of a TypeScript or JavaScript file, read with the TypeScript
 * parser (no regular expression over source code: quotes and nesting are the parser's job).
 */
export function sqlStrings(file: string): SqlString[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const out: SqlString[] = []
  const visit = (node: ts.Node, inDown: boolean) => {
    if (ts.isFunctionDeclaration(node) && node.name?.text === 'down') inDown = true
    let text: string | undefined
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text
    else if (ts.isTemplateExpression(node)) text = node.head.text + node.templateSpans.map((span) => `?${span.literal.text}`).join('')
    if (text !== undefined) {
      const parent = node.parent
      const isRaw = ts.isCallExpression(parent) && parent.arguments[0] === node &&
        ts.isPropertyAccessExpression(parent.expression) && parent.expression.name.text === 'raw'
      out.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, text, inDown, isRaw })
    }
    ts.forEachChild(node, (child) => visit(child, inDown))
  }
  visit(source, false)
  return out
}
