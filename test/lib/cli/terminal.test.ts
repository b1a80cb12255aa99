import { expect } from 'chai'

import { bridgeNoColor, colorEnabled, isInteractive } from '../../../src/lib/cli/terminal.js'

const ENV_KEYS = ['NO_COLOR', 'FORCE_COLOR', 'CI', 'ERP_CONTENT_TYPE'] as const

/** Saves and restores the env vars and TTY flags these functions read. */
function sandbox() {
  const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]))
  const streams = [process.stdin, process.stdout, process.stderr]
  const savedTty = streams.map((s) => Object.getOwnPropertyDescriptor(s, 'isTTY'))

  beforeEach(() => {
    for (const key of ENV_KEYS) delete process.env[key]
    setTty({ stdin: true, stdout: true, stderr: true })
  })

  afterEach(() => {
    for (const key of ENV_KEYS) {
      if (savedEnv[key] === undefined) delete process.env[key]
      else process.env[key] = savedEnv[key]
    }
    streams.forEach((stream, i) => {
      const descriptor = savedTty[i]
      if (descriptor) Object.defineProperty(stream, 'isTTY', descriptor)
      else delete (stream as { isTTY?: boolean }).isTTY
    })
  })
}

function setTty(ttys: { stdin?: boolean; stdout?: boolean; stderr?: boolean }) {
  for (const [name, value] of Object.entries(ttys)) {
    const stream = process[name as 'stdin' | 'stdout' | 'stderr']
    Object.defineProperty(stream, 'isTTY', { value, configurable: true, writable: true })
  }
}

const ARGV = ['node', 'erp', 'tenants', 'list']

describe('terminal', () => {
  sandbox()

  describe('colorEnabled', () => {
    it('is on for a terminal', () => {
      expect(colorEnabled(ARGV)).to.equal(true)
    })

    it('is off when stdout is not a terminal', () => {
      setTty({ stdout: false })
      expect(colorEnabled(ARGV)).to.equal(false)
    })

    it('is off when NO_COLOR is set to any non-empty value', () => {
      process.env.NO_COLOR = '0'
      expect(colorEnabled(ARGV)).to.equal(false)
    })

    it('ignores an empty NO_COLOR, as no-color.org says', () => {
      process.env.NO_COLOR = ''
      expect(colorEnabled(ARGV)).to.equal(true)
    })

    it('is off with --no-color, but not after --', () => {
      expect(colorEnabled([...ARGV, '--no-color'])).to.equal(false)
      expect(colorEnabled([...ARGV, '--', '--no-color'])).to.equal(true)
    })

    it('is off with FORCE_COLOR=0', () => {
      process.env.FORCE_COLOR = '0'
      expect(colorEnabled(ARGV)).to.equal(false)
    })

    it('follows FORCE_COLOR=1 through a pipe, but NO_COLOR still wins', () => {
      setTty({ stdout: false })
      process.env.FORCE_COLOR = '1'
      expect(colorEnabled(ARGV)).to.equal(true)
      process.env.NO_COLOR = '1'
      expect(colorEnabled(ARGV)).to.equal(false)
      // Node warns on stderr when both are set and something asks for the colour depth (mocha's reporter).
      delete process.env.FORCE_COLOR
    })
  })

  describe('bridgeNoColor', () => {
    it('sets FORCE_COLOR=0 for NO_COLOR or --no-color, and only then', () => {
      bridgeNoColor(ARGV)
      expect(process.env.FORCE_COLOR).to.equal(undefined)
      bridgeNoColor([...ARGV, '--no-color'])
      expect(process.env.FORCE_COLOR).to.equal('0')
      delete process.env.FORCE_COLOR
      process.env.NO_COLOR = '1'
      bridgeNoColor(ARGV)
      expect(process.env.FORCE_COLOR).to.equal('0')
    })
  })

  describe('isInteractive', () => {
    it('is true when stdin and stderr are terminals', () => {
      setTty({ stdout: false })
      expect(isInteractive()).to.equal(true)
    })

    it('is false when stdin or stderr is not a terminal', () => {
      setTty({ stdin: false })
      expect(isInteractive()).to.equal(false)
      setTty({ stdin: true, stderr: false })
      expect(isInteractive()).to.equal(false)
    })

    it('is false under CI', () => {
      process.env.CI = 'true'
      expect(isInteractive()).to.equal(false)
    })

    it('is false with ERP_CONTENT_TYPE=json', () => {
      process.env.ERP_CONTENT_TYPE = 'json'
      expect(isInteractive()).to.equal(false)
    })
  })
})
