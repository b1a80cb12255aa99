import { quoteLiteral } from '../../db/identifiers.js'

/** A reloption `key=value` with its value quoted unless it is a plain word or number. */
export function reloption(option: string): string {
  const eq = option.indexOf('=')
  const [key, value] = [option.slice(0, eq), option.slice(eq + 1)]
  return `${key}=${/^[A-Za-z0-9_.]+$/.test(value) ? value : quoteLiteral(value)}`
}
