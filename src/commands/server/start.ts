import { BaseCommand } from '../../lib/cli/base-command.js'
import { embeddedServerInfo, ensureEmbeddedServer, type EmbeddedServerInfo } from '../../lib/db/embedded-server.js'

export type ServerStartResult = EmbeddedServerInfo

export default class ServerStart extends BaseCommand<typeof ServerStart> {
  static summary = 'Initialise (first time) and start the embedded PostgreSQL server'
  static description = 'Any command that needs the embedded server starts it; this starts it ahead of time.'
  static examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<ServerStartResult> {
    await ensureEmbeddedServer((m) => this.note(m))
    const info = embeddedServerInfo()
    this.log(`Embedded server running on 127.0.0.1:${info.port} (pid ${info.pid}).`)
    return info
  }
}
