import { ErpError, ErrorKind, usageError } from '../errors.js'
import { currentIo, type IoReadable } from '../io.js'
import { isInteractive } from './terminal.js'

const DEFAULT_TIMEOUT_MS = 120_000

interface PromptOptions {
  /** The flag a script passes instead of answering, e.g. '--yes' or '--password-stdin'. */
  flagHint: string
  timeoutMs?: number
}

/** Returns when the operator agreed (or passed --yes); throws otherwise. */
export async function confirmOrFail(
  message: string,
  opts: { yes: boolean; flagHint?: string; timeoutMs?: number },
): Promise<void> {
  if (opts.yes) return
  const flagHint = opts.flagHint ?? '--yes'
  requireTerminal(`"${message}" needs a yes`, `pass ${flagHint} to confirm in a script`, flagHint)
  const { confirm } = await import('@inquirer/prompts')
  const agreed = await ask((context) => confirm({ message, default: false }, context), { ...opts, flagHint })
  if (!agreed) throw new ErpError(ErrorKind.FAILED, 'Cancelled by the operator')
}

/** Asks without echo. Secrets never come in as flag values: scripts use the hinted flag. */
export async function askSecret(message: string, opts: PromptOptions): Promise<string> {
  requireTerminal(`"${message}" needs an answer`, `pass ${opts.flagHint} instead`, opts.flagHint)
  const { password } = await import('@inquirer/prompts')
  return ask(
    (context) => password({ message, validate: (value) => value !== '' || 'A value is required' }, context),
    opts,
  )
}

export async function askText(message: string, opts: PromptOptions & { default?: string }): Promise<string> {
  requireTerminal(`"${message}" needs an answer`, `pass ${opts.flagHint} instead`, opts.flagHint)
  const { input } = await import('@inquirer/prompts')
  return ask((context) => input({ message, default: opts.default, required: true }, context), opts)
}

/** For --password-stdin (or `flag`): all of stdin, minus the one newline that `echo` or a heredoc adds. */
export async function readStdinSecret(stdin: IoReadable = currentIo().stdin, flag = '--password-stdin'): Promise<string> {
  // Typing a secret on a terminal would echo it: refuse instead of waiting.
  if (stdin.isTTY) {
    throw usageError(`${flag} reads a piped secret, but stdin is a terminal`, {
      actions: [`Pipe it in: printf %s "$SECRET" | erp … ${flag}`, ...(flag === '--password-stdin' ? ['Or leave out --password-stdin to be prompted'] : [])],
    })
  }
  const chunks: Buffer[] = []
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  const secret = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  if (secret === '') {
    throw usageError(`Nothing was read from stdin for ${flag}`, {
      actions: [`Pipe the secret in: printf %s "$SECRET" | erp … ${flag}`],
    })
  }
  return secret
}

function requireTerminal(problem: string, remedy: string, flagHint: string): void {
  if (isInteractive()) return
  throw usageError(`${problem} and there is no terminal to ask on: ${remedy}`, {
    actions: [`Re-run with ${flagHint}`],
  })
}

interface PromptContext {
  input: NodeJS.ReadableStream
  output: NodeJS.WritableStream
  signal: AbortSignal
}

/** Runs one prompt on stderr with a deadline, translating inquirer's errors into ErpErrors. */
async function ask<A>(prompt: (context: PromptContext) => Promise<A>, opts: PromptOptions): Promise<A> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  try {
    const io = currentIo()
    return await prompt({ input: io.stdin, output: io.stderr, signal: AbortSignal.timeout(timeoutMs) })
  } catch (error) {
    const name = error instanceof Error ? error.name : undefined
    if (name === 'AbortPromptError') {
      throw usageError(`No answer within ${timeoutMs / 1000} s`, {
        actions: [`Answer sooner, or pass ${opts.flagHint} in a script`],
        cause: error,
      })
    }
    // Ctrl-C: exit 130, like any interrupted Unix tool.
    if (name === 'ExitPromptError') throw new ErpError(ErrorKind.INTERRUPTED, 'Interrupted', { cause: error })
    throw error
  }
}
