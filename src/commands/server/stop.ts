import { BaseCommand } from '../../lib/cli/base-command.js'
import { stopEmbeddedServer } from '../../lib/db/embedded-server.js'

export interface ServerStopResult {
  stopped: boolean
}

export default class ServerStop extends BaseCommand<typeof ServerStop> {
  static summary = 'Stop the embedded PostgreSQL server'
  static description = 'A fast shutdown: open sessions end, committed data is safe. The next erp command starts it again.'
  static examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<ServerStopResult> {
    const stopped = await stopEmbeddedServer()
    this.log(stopped ? 'Embedded server stopped.' : 'Embedded server was not running.')
    return { stopped }
  }
}
