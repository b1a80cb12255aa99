#!/usr/bin/env node
// Rewrites oclif.manifest.json without indentation: oclif reads and parses the whole file before
// every command (~590 KB indented, ~410 KB not; JSON.parse takes half the time). Run by
// `npm run build` after `oclif manifest`.
import { readFileSync, writeFileSync } from 'node:fs'

const file = new URL('../oclif.manifest.json', import.meta.url)
writeFileSync(file, `${JSON.stringify(JSON.parse(readFileSync(file, 'utf8')))}\n`)
