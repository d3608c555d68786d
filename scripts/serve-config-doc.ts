/**
 * Regenerates the configuration reference of `portcullis serve` from its
 * schema (src/server/config-file/schema.ts): the table in docs/serve.md and
 * docs/serve-config.schema.json.
 *   npx tsx scripts/serve-config-doc.ts          write them
 *   npx tsx scripts/serve-config-doc.ts --check  exit 1 when either is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSON_SCHEMA_PATH, renderJsonSchema, SERVE_DOC_PATH, withReference } from '../src/server/config-file/reference.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files: Array<[string, string]> = [
  [SERVE_DOC_PATH, withReference(readFileSync(join(root, SERVE_DOC_PATH), 'utf8'))],
  [JSON_SCHEMA_PATH, renderJsonSchema()],
];
let stale = false;
for (const [path, expected] of files) {
  let actual = '';
  try {
    actual = readFileSync(join(root, path), 'utf8');
  } catch {
    // missing counts as stale
  }
  if (actual === expected) continue;
  if (process.argv.includes('--check')) {
    console.error(`${path} is out of date; run: npx tsx scripts/serve-config-doc.ts`);
    stale = true;
  } else {
    writeFileSync(join(root, path), expected);
    console.log(`wrote ${path}`);
  }
}
if (stale) process.exit(1);
