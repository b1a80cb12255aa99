import type { Column } from '../render.js'
import type { Setting } from '../../settings/settings.js'

export const SETTING_COLUMNS: Column<Setting>[] = [
  { key: 'key' },
  { key: 'value', get: (s) => JSON.stringify(s.value) },
  { key: 'isSet' },
  { key: 'default', get: (s) => JSON.stringify(s.default) },
  { key: 'description' },
]
