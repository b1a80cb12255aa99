import type { Hook } from '@oclif/core'

/**
 * After `erp autocomplete` (and its hidden `autocomplete create`) has written oclif's completion
 * functions, add erp's layer: flag values from the completion cache. Every other command returns
 * at once, before importing anything.
 */
const hook: Hook.Postrun = async function (options) {
  if (options.Command.id !== 'autocomplete' && options.Command.id !== 'autocomplete:create') return
  const { addValueCompletion } = await import('../lib/cli/completion-scripts.js')
  await addValueCompletion(options.config)
}

export default hook
