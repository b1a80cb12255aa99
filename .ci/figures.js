#!/usr/bin/env node
// node .ci/figures.js <label>=<figures.json>…: the closing note of .ci/run, from the JSON files
// test/helpers/timing-reporter.cjs writes: each pass's time and counts, and its 10 slowest test files.
// A pass that wrote no file (it did not run, or mocha died) is said so, not guessed.
import { existsSync, readFileSync } from 'node:fs'

const SLOWEST = 10
const ROOT_HOOKS = '(root hooks)' // as the reporter names them

const time = (ms) => {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}
const tests = (n) => `${n} test${n === 1 ? '' : 's'}`

for (const arg of process.argv.slice(2)) {
  const at = arg.indexOf('=')
  const [label, file] = [arg.slice(0, at), arg.slice(at + 1)]
  if (!existsSync(file)) {
    console.log(`\n${label}: no figures (the pass did not finish)`)
    continue
  }
  const run = JSON.parse(readFileSync(file, 'utf8'))
  // wall includes the template database's build (mocha's global setup); older files lack it.
  console.log(`\n${label}: ${time(run.wall ?? run.duration)}, ${run.passes} passing, ${run.failures} failing, ${run.pending} pending`)
  console.log(`  slowest ${SLOWEST} test files (tests + hooks):`)
  for (const { file: name, ms, tests: count } of run.files.filter((f) => f.file !== ROOT_HOOKS).slice(0, SLOWEST)) {
    console.log(`  ${time(ms).padStart(7)}  ${name} (${tests(count)})`)
  }
  const root = run.files.find((f) => f.file === ROOT_HOOKS)
  if (root) console.log(`  ${time(root.ms).padStart(7)}  root hooks (each file's copy of the template database, made and dropped; summed over files)`)
}
