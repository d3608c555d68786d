/**
 * The SARIF 2.1.0 schema validator for the report tests.
 *
 * The official schema (OASIS `sarif-schema-2.1.0.json`, published as
 * `sarif-2.1.0-rtm.5.json`) ships in the npm package `@microsoft/jest-sarif`
 * (`lib/schemas/sarif-2.1.0-rtm.5.json`); it is used from node_modules when
 * that devDependency is installed, else from `PORTCULLIS_SARIF_SCHEMA` when
 * set. Without either, `sarif210Validator()` answers undefined and the tests
 * check the required structure with explicit assertions only.
 *
 * The schema is JSON Schema draft-04 (`id`, `$schema` draft-04); it uses no
 * draft-04-only keywords (no boolean exclusiveMinimum), so it compiles in
 * Ajv 8 once `id` becomes `$id` and the draft-04 `$schema` is dropped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { REPO_ROOT } from '../support/paths.js';

const require = createRequire(import.meta.url);
const addFormats = (require('ajv-formats') as { default: (ajv: Ajv) => Ajv }).default;

export type Validate = (doc: unknown) => string[];

const BUNDLED = join(REPO_ROOT, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');

export function sarifSchemaPath(): string | undefined {
  if (existsSync(BUNDLED)) return BUNDLED;
  return process.env.PORTCULLIS_SARIF_SCHEMA || undefined;
}

/** Validates against the official SARIF 2.1.0 schema when it is available; undefined otherwise. */
export function sarif210Validator(): Validate | undefined {
  const path = sarifSchemaPath();
  if (!path) return undefined;
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  if (typeof schema.title !== 'string' || !schema.title.includes('SARIF') || !schema.title.includes('2.1.0')) {
    throw new Error(`${path} is not the SARIF 2.1.0 schema (title ${JSON.stringify(schema.title)})`);
  }
  const { id, $schema: _draft, ...rest } = schema;
  // The schema's `language` pattern (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) is not valid with the u flag.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile({ ...rest, ...(typeof id === 'string' ? { $id: id } : {}) });
  return (doc) => (validate(doc) ? [] : describe(validate.errors));
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 20).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
