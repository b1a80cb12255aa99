import { format } from 'node:util'

import { Errors, Help, type Command, type Interfaces } from '@oclif/core'

import { candidates, commandNotFound, reportUsageFailure } from './lib/cli/command-suggestions.js'
import { EXIT_CODE_TABLE, exitCodeOf } from './lib/cli/exit-codes.js'
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
   * `erp help tenant list`: oclif says "Command tenant:list not found."; erp answers as for
   * `erp tenant list` (the words with spaces, the closest commands, exit 2).
   */
  public override async showHelp(argv: string[]): Promise<void> {
    try {
      await super.showHelp(argv)
    } catch (err) {
      const subject = err instanceof Errors.CLIError ? /^Command (\S+) not found\.$/.exec(err.message)?.[1] : undefined
      if (!subject) throw err
      const error = commandNotFound(this.config.bin, subject.split(':'), candidates(this.config), 'help ')
      reportUsageFailure(error, this.config, argv)
      throw new Errors.ExitError(exitCodeOf(error))
    }
  }

  /**
   * A topic's help lists the commands of its sub-topics too (`erp stock --help` shows
   * `stock reorder set`), as `gh` does: a person looking for a command should not have to guess
   * which sub-topic holds it. The sub-topics keep their own section.
   */
  protected override async showTopicHelp(topic: Interfaces.Topic): Promise<void> {
    const depth = topic.name.split(':').length
    const subTopics = this.sortedTopics.filter((t) => t.name.startsWith(`${topic.name}:`) && t.name.split(':').length === depth + 1)
    const commands = this.sortedCommands.filter((c) => c.id.startsWith(`${topic.name}:`))
    this.log(this.formatTopic(topic))
    if (subTopics.length > 0) {
      this.log(this.formatTopics(subTopics))
      this.log('')
    }
    if (commands.length > 0) {
      this.log(this.formatCommands(commands))
      this.log('')
    }
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
