import { Flags } from '@oclif/core'

import { usageError } from '../../errors.js'
import { askSecret, readStdinSecret } from '../prompts.js'
import type { Column } from '../render.js'
import type { PasswordSource, User } from '../../users/users.js'

/**
 * What the user commands share: password flags and how a password comes in, list columns.
 * Command-layer code; services never import it. Passwords never arrive as flag values.
 */

export const passwordFlags = {
  'password-stdin': Flags.boolean({ description: 'Read the new password from stdin', exclusive: ['generate'] }),
  generate: Flags.boolean({ description: 'Generate a password and print it once', exclusive: ['password-stdin'] }),
}

/**
 * The password to set: from stdin, generated, or asked twice on a terminal (`prompt`). Without a
 * terminal and without a flag, a usage error names the flags to pass.
 */
export async function passwordSourceFrom(
  flags: { 'password-stdin'?: boolean; generate?: boolean },
  prompt: boolean,
): Promise<PasswordSource | undefined> {
  if (flags.generate) return { generate: true }
  if (flags['password-stdin']) return { password: await readStdinSecret() }
  if (!prompt) return undefined
  const hint = '--password-stdin or --generate'
  const password = await askSecret('New password', { flagHint: hint })
  const again = await askSecret('Repeat the new password', { flagHint: hint })
  if (password !== again) throw usageError('The two passwords differ; nothing was changed', { actions: ['Run the command again'] })
  return { password }
}

export const USER_COLUMNS: Column<User>[] = [
  { key: 'email' },
  { key: 'name' },
  { key: 'role' },
  { key: 'status', get: (u) => (u.disabledAt ? 'disabled' : 'enabled') },
  { key: 'hasPassword' },
  { key: 'createdAt' },
]
