import { Errors, type Hook } from '@oclif/core'

import { candidates, commandNotFound, reportUsageFailure } from '../lib/cli/command-suggestions.js'
import { exitCodeOf } from '../lib/cli/exit-codes.js'

/**
 * `erp tenant list`: no such command. The words as typed (with spaces, not oclif's colons), the
 * closest commands, and `erp help`; a usage error (exit 2), in the --json envelope when asked.
 * oclif's plugin-not-found prints no suggestion without a terminal, exits 127 and prompts
 * without a timeout, so erp answers itself.
 */
const hook: Hook.CommandNotFound = async function (options) {
  const typed = options.id.split(':').filter(Boolean)
  const error = commandNotFound(options.config.bin, typed, candidates(options.config))
  reportUsageFailure(error, options.config, options.argv ?? [])
  throw new Errors.ExitError(exitCodeOf(error))
}

export default hook
