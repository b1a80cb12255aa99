import fs from 'node:fs/promises'
import path from 'node:path'

import type { Command, Interfaces } from '@oclif/core'

import { completionCacheFile, type CompletionKind } from './completion-cache.js'

/**
 * oclif's plugin-autocomplete completes commands and flag names, not flag values. `erp
 * autocomplete` runs it, then this adds erp's layer to the bash and zsh functions it wrote: tenant
 * slugs, profile names and warehouse codes from the completion cache (completion-cache.ts), read
 * by a shell loop (no Node start on <TAB>), for `--tenant`/`-t`, `--profile`, `--warehouse`/`-w`
 * and for the first argument of the commands that take one. Values are never passed through
 * `compgen -W` or `eval` (which would expand `$(…)` in them): each one is compared and added as a
 * plain string, and only names of erp's own shape are offered.
 */

const BEGIN = '# >>> erp: values from the completion cache'
const END = '# <<< erp'

/** Flags whose value is a cached name, with their one-letter aliases. */
const FLAG_KINDS: ReadonlyArray<[CompletionKind, string[]]> = [
  ['tenant', ['--tenant', '-t']],
  ['profile', ['--profile']],
  ['warehouse', ['--warehouse', '-w']],
]

/** Commands whose first argument is an existing tenant, profile or warehouse (`erp tenants show <TAB>`). */
export function positionalKinds(commands: ReadonlyArray<Pick<Command.Loadable, 'id' | 'args'>>): Array<[string, CompletionKind]> {
  const kinds: Array<[string, CompletionKind]> = []
  for (const command of commands) {
    const first = Object.keys(command.args ?? {})[0]
    const [topic, verb] = command.id.split(':')
    if (!first || command.id.split(':').length !== 2 || verb === 'create' || verb === 'login') continue
    if (topic === 'tenants' && (first === 'slug' || first === 'from')) kinds.push([`tenants ${verb}`, 'tenant'])
    if (topic === 'auth' && first === 'name') kinds.push([`auth ${verb}`, 'profile'])
    if (topic === 'warehouses' && first === 'code') kinds.push([`warehouses ${verb}`, 'warehouse'])
  }
  return kinds.sort(([a], [b]) => a.localeCompare(b))
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/** `_erp_cached_values KIND [TENANT]`: the cached names of a kind, one a line; the same in bash and zsh. */
function valuesFunction(bin: string, cacheFile: string): string {
  return `_${bin}_cached_values() {
  local dir=${shellQuote(path.dirname(cacheFile))} kind value tenant
  [ -n "\${ERP_CONFIG_DIR:-}" ] && dir="$ERP_CONFIG_DIR"
  [ -r "$dir/${path.basename(cacheFile)}" ] || return 0
  while IFS=$'\\t' read -r kind value tenant; do
    [ "$kind" = "$1" ] || continue
    if [ "$1" = warehouse ] && [ -n "$2" ] && [ "$tenant" != "$2" ]; then continue; fi
    [[ "$value" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] && printf '%s\\n' "$value"
  done < "$dir/${path.basename(cacheFile)}"
}`
}

export function bashLayer(bin: string, cacheFile: string, positionals: Array<[string, CompletionKind]>): string {
  const flagCases = FLAG_KINDS.map(([kind, flags]) => `      ${flags.join('|')}) kind=${kind} ;;`).join('\n')
  const argCases = positionals.map(([line, kind]) => `      ${shellQuote(line)}) kind=${kind} ;;`).join('\n')
  return `${BEGIN}
${valuesFunction(bin, cacheFile)}

_${bin}_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" kind="" tenant="\${ERP_TENANT:-}" line="" i value
  (( COMP_CWORD > 1 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # --tenant=ac<TAB>: bash splits the word at '=' (COMP_WORDBREAKS).
  if [ "$prev" = "=" ] && (( COMP_CWORD > 2 )); then prev="\${COMP_WORDS[COMP_CWORD-2]}"; fi
  if [ "$cur" = "=" ]; then prev="\${COMP_WORDS[COMP_CWORD-1]}"; cur=""; fi
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case "\${COMP_WORDS[i]}" in
      --tenant|-t) tenant="\${COMP_WORDS[i+1]}"; [ "$tenant" = "=" ] && tenant="\${COMP_WORDS[i+2]}" ;;
    esac
  done
  case "$prev" in
${flagCases}
  esac
  if [ -z "$kind" ] && [[ "$cur" != -* ]]; then
    for (( i = 1; i < COMP_CWORD; i++ )); do line="$line\${line:+ }\${COMP_WORDS[i]}"; done
    case "$line" in
${argCases}
    esac
  fi
  if [ -n "$kind" ]; then
    COMPREPLY=()
    while IFS= read -r value; do
      [[ "$value" == "$cur"* ]] && COMPREPLY+=("$value")
    done < <(_${bin}_cached_values "$kind" "$tenant")
    return 0
  fi
  _${bin}_autocomplete
}
complete -F _${bin}_complete ${bin}
${END}
`
}

export function zshLayer(bin: string, cacheFile: string, positionals: Array<[string, CompletionKind]>): string {
  const flagCases = FLAG_KINDS.map(([kind, flags]) => `    (${flags.join('|')}) kind=${kind} ;;`).join('\n')
  const argCases = positionals.map(([line, kind]) => `      (${shellQuote(line)}) kind=${kind} ;;`).join('\n')
  return `${BEGIN}
${valuesFunction(bin, cacheFile)}

functions[_${bin}_oclif]=$functions[_${bin}]
_${bin}() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" kind="" tenant="\${ERP_TENANT:-}" line="" i
  local -a values
  for (( i = 2; i < CURRENT; i++ )); do
    case "\${words[i]}" in
      (--tenant|-t) tenant="\${words[i+1]}" ;;
      (--tenant=*) tenant="\${words[i]#--tenant=}" ;;
    esac
  done
  case "$prev" in
${flagCases}
  esac
  if [[ -z "$kind" && "$cur" == --(tenant|profile|warehouse)=* ]]; then
    kind="\${\${cur%%=*}#--}"
    compset -P '*='
  fi
  if [[ -z "$kind" && "$cur" != -* ]]; then
    line="\${(j: :)words[2,CURRENT-1]}"
    case "$line" in
${argCases}
    esac
  fi
  if [[ -n "$kind" ]]; then
    values=("\${(@f)$(_${bin}_cached_values "$kind" "$tenant")}")
    compadd -- "\${values[@]:#}"
    return
  fi
  _${bin}_oclif "$@"
}
${END}
`
}

/** The file without a layer an earlier run added: running `erp autocomplete` twice adds it once. */
function withoutLayer(text: string): string {
  const start = text.indexOf(BEGIN)
  if (start === -1) return text
  const end = text.indexOf(END, start)
  return text.slice(0, start) + (end === -1 ? '' : text.slice(end + END.length + 1))
}

/** Adds erp's layer to the functions `erp autocomplete` wrote in the cache directory. */
export async function addValueCompletion(config: Interfaces.Config): Promise<void> {
  const functions = path.join(config.cacheDir, 'autocomplete', 'functions')
  const positionals = positionalKinds(config.commands)
  const cacheFile = completionCacheFile()
  const bash = path.join(functions, 'bash', `${config.bin}.bash`)
  const zsh = path.join(functions, 'zsh', `_${config.bin}`)
  const read = (file: string) => fs.readFile(file, 'utf8').catch(() => undefined)
  const [bashText, zshText] = await Promise.all([read(bash), read(zsh)])
  if (bashText !== undefined) await fs.writeFile(bash, `${withoutLayer(bashText).trimEnd()}\n\n${bashLayer(config.bin, cacheFile, positionals)}`)
  if (zshText !== undefined) {
    // The function file ends by calling _erp: the layer goes in before that call.
    const body = withoutLayer(zshText).trimEnd().replace(new RegExp(`\\n_${config.bin}$`), '')
    await fs.writeFile(zsh, `${body}\n\n${zshLayer(config.bin, cacheFile, positionals)}\n_${config.bin}\n`)
  }
}
