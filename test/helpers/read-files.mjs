// Preloaded into a spawned erp (NODE_OPTIONS=--import …) by test/commands/startup.test.ts: writes
// the path of every file the process read with fs.readFile / fs.promises.readFile / readFileSync
// (oclif reads package.json and manifests so), one a line, to the file ERP_READ_FILES names on exit.
import fs, { writeFileSync } from 'node:fs'
import fsp from 'node:fs/promises'

const read = new Set()
const record = (file) => {
  if (typeof file === 'string') read.add(file)
  else if (file instanceof URL) read.add(file.pathname)
}
for (const [target, name] of [[fsp, 'readFile'], [fs, 'readFile'], [fs, 'readFileSync']]) {
  const original = target[name]
  target[name] = function (file, ...rest) {
    record(file)
    return original.call(this, file, ...rest)
  }
}

process.on('exit', () => writeFileSync(process.env.ERP_READ_FILES, [...read].join('\n')))
