import { currentIo } from '../io.js'

export interface Progress {
  update(text: string): void
  succeed(text?: string): void
  fail(text?: string): void
  stop(): void
}

const SILENT: Progress = { update() {}, succeed() {}, fail() {}, stop() {} }

/**
 * A spinner on stderr, or nothing. Callers pass `enabled: isInteractive() && !jsonMode`;
 * ora is imported only then, to keep start-up light.
 */
export async function startProgress(text: string, opts: { enabled: boolean }): Promise<Progress> {
  // ora 8 divides by the terminal width: a pty of unknown size (0 columns) makes it loop forever.
  const { stderr } = currentIo()
  if (!opts.enabled || !stderr.columns) return SILENT
  const { default: ora } = await import('ora')
  const spinner = ora({ text, stream: stderr }).start()
  return {
    update(next) {
      spinner.text = next
    },
    succeed: (done) => void spinner.succeed(done),
    fail: (failure) => void spinner.fail(failure),
    stop: () => void spinner.stop(),
  }
}
