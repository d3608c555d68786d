/**
 * JSON-schema validators for the SBOM tests.
 * - CycloneDX 1.6: the official schema files shipped inside
 *   @cyclonedx/cyclonedx-library (`res/schema/bom-1.6.SNAPSHOT.schema.json`,
 *   with `spdx.SNAPSHOT.schema.json` and `jsf-0.82.SNAPSHOT.schema.json` it refers to).
 * - SPDX 2.3: the official schema (spdx/spdx-spec v2.3
 *   `schemas/spdx-schema.json`), read in place from
 *   `../shared/schemas/spdx-2.3.schema.json` (no npm package ships it).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { REPO_ROOT, SHARED } from '../support/paths.js';

const require = createRequire(import.meta.url);
// CommonJS plugins: loaded with require (ajv-formats' default export is not callable through NodeNext typings;
// ajv-formats-draft2019 ships no types).
const addFormats = (require('ajv-formats') as { default: (ajv: Ajv) => Ajv }).default;
const addFormats2019 = require('ajv-formats-draft2019') as (ajv: unknown, options?: { formats?: string[] }) => void;

export type Validate = (doc: unknown) => string[];

const SCHEMA_DIR = join(REPO_ROOT, 'node_modules', '@cyclonedx', 'cyclonedx-library', 'res', 'schema');

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 20).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

let cyclonedx: Validate | undefined;

/** Validates against the official CycloneDX 1.6 JSON schema; answers the errors (empty when valid). */
export function cycloneDx16Validator(): Validate {
  if (cyclonedx) return cyclonedx;
  const ajv = new Ajv({ strict: false, allErrors: false, loadSchema: undefined });
  addFormats(ajv);
  addFormats2019(ajv, { formats: ['idn-email'] });
  ajv.addFormat('iri-reference', true);
  // The shipped bom schema refers to its siblings by their SNAPSHOT file names.
  for (const name of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json']) {
    ajv.addSchema({ ...readJson(join(SCHEMA_DIR, name)), $id: `http://cyclonedx.org/schema/${name}` });
  }
  const validate = ajv.compile(readJson(join(SCHEMA_DIR, 'bom-1.6.SNAPSHOT.schema.json')));
  cyclonedx = (doc) => (validate(doc) ? [] : describe(validate.errors));
  return cyclonedx;
}

export const SPDX_SCHEMA = join(SHARED, 'schemas', 'spdx-2.3.schema.json');
export const SPDX_EXAMPLE = join(SHARED, 'schemas', 'SPDXJSONExample-v2.3.spdx.json');

let spdx: Validate | undefined;

/** The official SPDX 2.3 JSON schema as a validator (throws when the shared schema is missing: it is not optional). */
export function spdx23Validator(): Validate {
  if (spdx) return spdx;
  const path = SPDX_SCHEMA;
  const schema = readJson(path);
  if (schema.title !== 'SPDX 2.3') throw new Error(`${path} is not the SPDX 2.3 schema (title ${JSON.stringify(schema.title)})`);
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  spdx = (doc) => (validate(doc) ? [] : describe(validate.errors));
  return spdx;
}
