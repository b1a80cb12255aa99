/**
 * Node's own warnings (`(node:1234) [DEP0…] DeprecationWarning: …`, MaxListenersExceededWarning…)
 * are bugs to fix, not noise: pg's "client.query() when the client is already executing a query"
 * is a query issued concurrently on one transaction. Every warning the test process emits, and
 * every one a spawned erp process prints on stderr, is kept here; the root hook (hooks.ts) fails
 * the test during which it appeared.
 */
const seen: string[] = []

/** What Node prints for a warning on stderr: `(node:PID) [CODE] NameWarning: message`. */
export const NODE_WARNING = /\(node:\d+\) (?:\[[A-Z0-9_]+\] )?\w*Warning: [^\n]*/g

let listening = false
/** Record the warnings of this process (the in-process runs of runCli). */
export function watchProcessWarnings(): void {
  if (listening) return
  listening = true
  process.on('warning', (warning) => seen.push(`(in-process) ${warning.name}: ${warning.message}`))
}

/** Record the Node warnings in a child's stderr. */
export function noteChildStderr(stderr: string): void {
  for (const match of stderr.matchAll(NODE_WARNING)) seen.push(match[0])
}

/** The warnings seen since the last call, which forgets them. */
export function takeWarnings(): string[] {
  return seen.splice(0, seen.length)
}
