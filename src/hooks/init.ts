import type { Hook } from '@oclif/core'

import { bridgeNoColor } from '../lib/cli/terminal.js'

/** Runs before every command: keep it cheap. */
const hook: Hook.Init = async function () {
  bridgeNoColor(process.argv)
}

export default hook
