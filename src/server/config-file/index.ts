/**
 * The configuration of `portcullis serve`: the schema of every setting
 * (schema.ts, the one place a setting is declared), the file reader with
 * line-and-column errors (read.ts), the precedence of flags, environment,
 * file and defaults (layers.ts), and --print-config (print.ts).
 */
export { durationMs, parseAddress, rateBytes } from './values.js';
export { KEYS, SETTINGS_SCHEMA, keyEntry, networkList, settingsJsonSchema, type KeyEntry, type KeyInfo, type KeyKind, type Reload, type Settings } from './schema.js';
export { MAX_CONFIG_BYTES, parseConfigText, readConfigFile, shown, type ConfigFile } from './read.js';
export { flatten, fromText, problemWith, resolveSettings, type Layer, type ResolvedSettings, type Source } from './layers.js';
export { REDACTED, printSettings, redactUrlPassword } from './print.js';
export { JSON_SCHEMA_PATH, SERVE_DOC_PATH, renderConfigReference, renderJsonSchema, withReference } from './reference.js';
// The per-project settings file (gc.projectSettings) is read while the settings are checked, before the server loads.
export { parseProjectSettings, type ProjectSettingsProvider } from '../gc/projects.js';
