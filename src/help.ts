import { Help } from '@oclif/core'

import { EXIT_CODE_TABLE } from './lib/cli/exit-codes.js'

/** oclif's help, with the exit codes on the root page: scripts depend on them. */
export default class ErpHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    const width = Math.max(...EXIT_CODE_TABLE.map(([code]) => String(code).length))
    this.log(this.section('EXIT CODES', EXIT_CODE_TABLE.map(([code, meaning]) => `${String(code).padStart(width)}  ${meaning}`).join('\n')))
    this.log('')
  }
}
