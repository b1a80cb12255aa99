import type { Knex } from 'knex'

import { conflict, notAllowed, notFound } from '../errors.js'
import { checkEmail, checkText, Problems } from '../validation.js'
import { generatePassword, hashPassword, passwordProblem } from './password.js'

/** The ERP's own users inside a tenant (not database roles). Emails are unique ignoring case. */
export const USER_ROLES = ['admin', 'manager', 'clerk', 'viewer'] as const
export type UserRole = (typeof USER_ROLES)[number]

export interface User {
  id: string
  email: string
  name: string
  role: UserRole
  /** Whether a password is set; the hash itself never leaves the service. */
  hasPassword: boolean
  disabledAt: Date | null
  createdAt: Date
  updatedAt: Date
}

/** A new password: given (stdin, prompt, seed) or generated here and returned once. */
export type PasswordSource = { password: string } | { generate: true }

export interface CreateUserInput {
  email: string
  name: string
  role: string
  password?: PasswordSource
}

export interface UserWithSecret {
  user: User
  /** Only when generated: shown to the operator once, stored nowhere but as a hash. */
  generatedPassword?: string
}

const SELECT = {
  id: 'id', email: 'email', name: 'name', role: 'role', disabledAt: 'disabled_at', createdAt: 'created_at', updatedAt: 'updated_at',
}

function userQuery(trx: Knex.Transaction): Knex.QueryBuilder {
  return trx('users').select(SELECT).select(trx.raw('password_hash is not null as "hasPassword"'))
}

export async function findUser(trx: Knex.Transaction, email: string): Promise<User | undefined> {
  return userQuery(trx).whereRaw('lower(email) = lower(?)', [email.trim()]).first()
}

export async function getUser(trx: Knex.Transaction, email: string): Promise<User> {
  const user = await findUser(trx, email)
  if (!user) throw notFound(`No user "${email}"`, { actions: ['List users with: erp users list'], data: { email } })
  return user
}

function checkPassword(problems: Problems, source: PasswordSource | undefined): string | undefined {
  if (!source) return undefined
  if ('generate' in source) return generatePassword()
  const problem = passwordProblem(source.password)
  if (problem) problems.add('password', problem)
  return source.password
}

export async function createUser(trx: Knex.Transaction, input: CreateUserInput): Promise<UserWithSecret> {
  const problems = new Problems()
  const email = checkEmail(problems, 'email', input.email)
  const name = checkText(problems, 'name', input.name, 200)
  if (!(USER_ROLES as readonly string[]).includes(input.role)) {
    problems.add('role', `"${input.role}" is not a role; use one of ${USER_ROLES.join(', ')}`)
  }
  const password = checkPassword(problems, input.password)
  if (email && (await findUser(trx, email))) {
    problems.add('email', `a user with email "${email}" already exists`, { conflict: true, action: 'List users with: erp users list' })
  }
  problems.throwIfAny(`User "${input.email}" was not created`)

  const passwordHash = password === undefined ? null : await hashPassword(password)
  const inserted = await trx('users')
    .insert({ email, name, role: input.role, password_hash: passwordHash })
    .onConflict(trx.raw('(lower(email))'))
    .ignore()
    .returning('id')
  if (inserted.length === 0) throw conflict(`A user with email "${email}" already exists`, { data: { email } })
  return { user: await getUser(trx, email!), ...('generate' in (input.password ?? {}) ? { generatedPassword: password } : {}) }
}

export interface ListUsersInput {
  role?: string
  /** true: disabled users only; false: enabled only; undefined: all. */
  disabled?: boolean
}

export async function listUsers(trx: Knex.Transaction, input: ListUsersInput = {}): Promise<User[]> {
  const query = userQuery(trx).orderByRaw('lower(email)')
  if (input.role !== undefined) query.where('role', input.role)
  if (input.disabled === true) query.whereNotNull('disabled_at')
  if (input.disabled === false) query.whereNull('disabled_at')
  return query
}

export interface UserStateOutcome {
  user: User
  /** False when the user already was in that state. */
  changed: boolean
}

/**
 * Disable or enable a user. The last enabled admin cannot be disabled: the tenant would have no
 * one left to manage its users. Enabled admins are locked first, so two concurrent calls cannot
 * each disable one of the last two.
 */
export async function setUserDisabled(trx: Knex.Transaction, email: string, disabled: boolean): Promise<UserStateOutcome> {
  const admins: { id: string }[] = await trx('users').select('id').where('role', 'admin').whereNull('disabled_at').forUpdate()
  const user = await getUser(trx, email)
  if ((user.disabledAt !== null) === disabled) return { user, changed: false }
  if (disabled && user.role === 'admin' && admins.length === 1 && admins[0].id === user.id) {
    throw notAllowed(`"${user.email}" is the last enabled admin of this tenant and cannot be disabled`, {
      actions: ['Create or enable another admin first: erp users create <email> --name <name> --role admin'],
      data: { email: user.email },
    })
  }
  await trx('users').where('id', user.id).update({ disabled_at: disabled ? trx.fn.now() : null, updated_at: trx.fn.now() })
  return { user: await getUser(trx, email), changed: true }
}

/** Set a new password (given or generated); the previous one stops working. */
export async function resetUserPassword(trx: Knex.Transaction, email: string, source: PasswordSource): Promise<UserWithSecret> {
  const user = await getUser(trx, email)
  const problems = new Problems()
  const password = checkPassword(problems, source)!
  problems.throwIfAny(`The password of "${user.email}" was not changed`)
  await trx('users').where('id', user.id).update({ password_hash: await hashPassword(password), updated_at: trx.fn.now() })
  return { user: await getUser(trx, email), ...('generate' in source ? { generatedPassword: password } : {}) }
}
