'use strict'
/**
 * mocha's spec output on the console, plus the run's figures in a JSON file for .ci/run's closing
 * note: `--reporter ./test/helpers/timing-reporter.cjs --reporter-option output=<file>`.
 * A file's time is the sum of its tests' and hooks' durations (mocha's own `duration`), so it means
 * the same in serial and parallel runs; the root hooks (each file's copy of the template database)
 * are counted apart. `wall` is the pass as a person waits for it: from the reporter's start, before
 * mocha's global setup builds the template, to the end of the last file (mocha's `duration` starts
 * after the global setup).
 * CommonJS because mocha loads reporters with require().
 */
const fs = require('node:fs')
const path = require('node:path')
const Mocha = require('mocha')

const { EVENT_HOOK_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_RUN_END } = Mocha.Runner.constants
const ROOT_HOOKS = '(root hooks)'

class TimingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    const output = options.reporterOption && options.reporterOption.output
    if (!output) return
    const started = Date.now()
    /** file → { ms, tests } */
    const files = new Map()
    const add = (runnable, isTest) => {
      const file = runnable.file ? path.relative(process.cwd(), runnable.file) : ROOT_HOOKS
      const entry = files.get(file) || { ms: 0, tests: 0 }
      entry.ms += runnable.duration || 0
      if (isTest) entry.tests += 1
      files.set(file, entry)
    }
    runner.on(EVENT_HOOK_END, (hook) => add(hook, false))
    runner.on(EVENT_TEST_PASS, (test) => add(test, true))
    // A failing hook is reported here too, and then never reaches EVENT_HOOK_END.
    runner.on(EVENT_TEST_FAIL, (runnable) => add(runnable, runnable.type === 'test'))
    // After Spec's epilogue (registered first, by super()): the "N passing" lines are out already.
    runner.once(EVENT_RUN_END, () => {
      const { duration, passes, failures, pending } = this.stats
      const wall = Date.now() - started
      const byFile = [...files].map(([file, { ms, tests }]) => ({ file, ms, tests })).sort((a, b) => b.ms - a.ms)
      try {
        fs.mkdirSync(path.dirname(output), { recursive: true })
        fs.writeFileSync(output, JSON.stringify({ duration, wall, passes, failures, pending, files: byFile }, null, 2) + '\n')
      } catch (err) {
        process.stderr.write(`timing-reporter: cannot write ${output}: ${err.message}\n`)
      }
    })
  }
}

module.exports = TimingReporter
