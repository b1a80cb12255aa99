// Preloaded into a spawned erp (NODE_OPTIONS=--import …) by test/commands/startup.test.ts: writes
// the file URL of every module the process loaded, ES modules and CommonJS alike, one a line, to
// the file ERP_LOADED_MODULES names when the process exits.
import { writeFileSync } from 'node:fs'
import Module, { register } from 'node:module'
import { pathToFileURL } from 'node:url'
import { MessageChannel } from 'node:worker_threads'

const loaded = new Set()
const { port1, port2 } = new MessageChannel()
port1.on('message', (url) => loaded.add(url))
port1.unref()
const hooks = `let port
export function initialize(data) { port = data.port }
export async function load(url, context, next) {
  const result = await next(url, context)
  if (url.startsWith('file:')) port.postMessage(url)
  return result
}`
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] })

const compile = Module.prototype._compile
Module.prototype._compile = function (content, filename) {
  loaded.add(pathToFileURL(filename).href)
  return compile.call(this, content, filename)
}

process.on('exit', () => writeFileSync(process.env.ERP_LOADED_MODULES, [...loaded].join('\n')))
