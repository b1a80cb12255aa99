import { BaseCommand } from '../../lib/cli/base-command.js'
import { embeddedServerInfo, type EmbeddedServerInfo } from '../../lib/db/embedded-server.js'

export type ServerStatusResult = EmbeddedServerInfo

export default class ServerStatus extends BaseCommand<typeof ServerStatus> {
  static summary = 'Show the embedded PostgreSQL server: data folder, port, running or not'
  static description = 'Set ERP_DATA_DIR to keep the embedded server somewhere else.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<ServerStatusResult> {
    const info = embeddedServerInfo()
    this.printRecord({ ...info })
    return info
  }
}
