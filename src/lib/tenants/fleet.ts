/**
 * Run one piece of work per tenant, `concurrency` at a time, collecting a result for each:
 * one tenant's failure is recorded and the others carry on.
 */
export interface TenantOutcome<R> {
  tenant: string
  ok: boolean
  result?: R
  error?: string
  durationMs: number
}

export async function forEachTenant<R>(
  slugs: string[],
  concurrency: number,
  work: (slug: string) => Promise<R>,
  onDone?: (outcome: TenantOutcome<R>, finished: number) => void,
): Promise<TenantOutcome<R>[]> {
  const outcomes: TenantOutcome<R>[] = new Array(slugs.length)
  let next = 0
  let finished = 0
  const worker = async () => {
    while (next < slugs.length) {
      const index = next++
      const tenant = slugs[index]
      const started = performance.now()
      try {
        const result = await work(tenant)
        outcomes[index] = { tenant, ok: true, result, durationMs: Math.round(performance.now() - started) }
      } catch (err) {
        outcomes[index] = { tenant, ok: false, error: (err as Error).message, durationMs: Math.round(performance.now() - started) }
      }
      onDone?.(outcomes[index], ++finished)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, slugs.length) }, worker))
  return outcomes
}
