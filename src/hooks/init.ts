import type { Hook } from '@oclif/core'

import { bridgeNoColor } from '../lib/cli/terminal.js'

/** Runs before every command: keep it cheap. The command's own arguments, not process.argv: a test runs commands in-process. */
const hook: Hook.Init = async function (options) {
  bridgeNoColor(options.argv)
}

export default hook
