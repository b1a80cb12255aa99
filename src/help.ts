import { format } from 'node:util'

import { Help, type Command } from '@oclif/core'

import { EXIT_CODE_TABLE } from './lib/cli/exit-codes.js'
import { currentIo } from './lib/io.js'

/** oclif's help, with the exit codes on the root page: scripts depend on them. */
export default class ErpHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    const width = Math.max(...EXIT_CODE_TABLE.map(([code]) => String(code).length))
    this.log(this.section('EXIT CODES', EXIT_CODE_TABLE.map(([code, meaning]) => `${String(code).padStart(width)}  ${meaning}`).join('\n')))
    this.log('')
  }

  /**
   * oclif's formatters rewrite the ids of the commands they are given (tenants:create becomes
   * `tenants create`) in the config's own command list: harmless in a process that exits after
   * the help, but a later command run in the same process (the tests run them in-process) is then
   * not found. They get copies.
   */
  protected override formatCommand(command: Command.Loadable): string {
    return super.formatCommand({ ...command })
  }

  protected override formatCommands(commands: Command.Loadable[]): string {
    return super.formatCommands(commands.map((command) => ({ ...command })))
  }

  /** Help goes through the run's Io (io.ts), as a command's own output does. */
  protected override log(...args: string[]): void {
    const { stderr, stdout } = currentIo()
    ;(this.opts.sendToStderr ? stderr : stdout).write(`${format(...args)}\n`)
  }
}
