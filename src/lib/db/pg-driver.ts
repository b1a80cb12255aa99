// Type only: erased from the output, so pg itself still loads in loadPg(), after the navigator is set.
import type pg from 'pg'

/**
 * The pg driver, for knex and for the few plain clients. pg 8 tells Cloudflare Workers from Node
 * when it loads: by navigator.userAgent, or where there is no navigator (Node 20) by building a
 * fetch Response, which loads Node's whole fetch implementation: ~100 ms of every command. While pg
 * loads, a navigator like the one Node 21 defines itself says which runtime this is; then it goes.
 */
export async function loadPg(): Promise<typeof pg> {
  if ('navigator' in globalThis) return (await import('pg')).default
  const major = process.versions.node.split('.')[0]
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${major}` }, configurable: true })
  try {
    return (await import('pg')).default
  } finally {
    delete (globalThis as { navigator?: unknown }).navigator
  }
}
