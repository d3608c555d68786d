/**
 * The rule catalogue: ids unique and well-formed, every Dockerfile rule
 * implemented by exactly one registered check (and no check reporting an id
 * outside the catalogue), and docs/lint-rules.md generated from it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DOCKERFILE_CHECKS } from '../../src/hygiene/dockerfile/all.js';
import { SEVERITIES } from '../../src/hygiene/check.js';
import { renderRulesDoc, RULES_DOC_PATH } from '../../src/hygiene/rules-doc.js';
import { DOCKERFILE_RULES, findRule, RULES } from '../../src/hygiene/rules.js';
import { REPO_ROOT } from '../support/paths.js';

test('rule ids are unique, namespaced and documented', () => {
  const ids = RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const r of RULES) {
    assert.match(r.id, /^(dockerfile|image)\/[a-z0-9]+(-[a-z0-9]+)*$/, r.id);
    assert.ok(SEVERITIES.includes(r.severity), r.id);
    assert.ok(r.title.length > 0 && !r.title.endsWith('.'), `${r.id}: title`);
    assert.ok(r.description.length > 40, `${r.id}: description`);
    assert.ok(r.fix.length > 10, `${r.id}: fix`);
    if (r.cis !== undefined) assert.match(r.cis, /^\d+\.\d+$/, `${r.id}: cis`);
    assert.equal(r.docsAnchor, r.id.replace('/', '-'));
  }
  const anchors = RULES.map((r) => r.docsAnchor);
  assert.equal(new Set(anchors).size, anchors.length);
});

test('every Dockerfile rule belongs to exactly one registered check', () => {
  const claimed = DOCKERFILE_CHECKS.flatMap((c) => c.rules as readonly string[]);
  assert.equal(new Set(claimed).size, claimed.length, 'a rule is claimed twice');
  for (const id of claimed) assert.ok(findRule(id), `${id} is not in the catalogue`);
  assert.deepEqual([...claimed].sort(), DOCKERFILE_RULES.map((r) => r.id as string).sort());
});

test(`${RULES_DOC_PATH} is generated from the catalogue (regenerate: npx tsx scripts/lint-rules-doc.ts)`, () => {
  const expected = renderRulesDoc();
  let actual = '';
  try {
    actual = readFileSync(join(REPO_ROOT, RULES_DOC_PATH), 'utf8');
  } catch {
    // missing: the comparison below fails and shows the expected content
  }
  assert.equal(actual, expected, `${RULES_DOC_PATH} is out of date; run: npx tsx scripts/lint-rules-doc.ts`);
  for (const r of RULES) {
    assert.ok(expected.includes(`<a id="${r.docsAnchor}"></a>`), `${r.id}: anchor`);
    if (r.cis) assert.ok(expected.includes(`CIS Docker Benchmark v1.6.0 ${r.cis}`), `${r.id}: CIS reference`);
  }
  assert.match(expected, /# portcullis-ignore /, 'the ignore syntax is documented');
});
