/**
 * Regenerates docs/lint-rules.md from the rule catalogue (src/hygiene/rules.ts):
 *   npx tsx scripts/lint-rules-doc.ts          write it
 *   npx tsx scripts/lint-rules-doc.ts --check  exit 1 when it is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRulesDoc, RULES_DOC_PATH } from '../src/hygiene/rules-doc.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const path = join(root, RULES_DOC_PATH);
const expected = renderRulesDoc();
if (process.argv.includes('--check')) {
  let actual = '';
  try {
    actual = readFileSync(path, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (actual !== expected) {
    console.error(`${RULES_DOC_PATH} is out of date; run: npx tsx scripts/lint-rules-doc.ts`);
    process.exit(1);
  }
} else {
  writeFileSync(path, expected);
  console.log(`wrote ${RULES_DOC_PATH}`);
}
