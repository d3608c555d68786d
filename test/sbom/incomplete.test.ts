/**
 * An incomplete inventory written as an SBOM says so in every format, and
 * reads back as incomplete: scanning the SBOM later must not turn "could not
 * read" into "nothing there".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Inventory } from '../../src/core/inventory.js';
import { toCycloneDxJson } from '../../src/sbom/cyclonedx.js';
import { decodeSbom } from '../../src/sbom/decode.js';
import { toInventoryJson } from '../../src/sbom/json.js';
import { toSpdxJson } from '../../src/sbom/spdx.js';
import { ALPINE_INVENTORY, DEBIAN_IMAGE } from './fixtures.js';
import { cycloneDx16Validator, spdx23Validator } from './schemas.js';

const REASONS = ['npm: failed: Maximum call stack size exceeded', 'rpm: var/lib/rpm/Packages: not an rpm database; not read'];
const INCOMPLETE: Inventory = { ...ALPINE_INVENTORY, incomplete: REASONS };

test('native JSON, CycloneDX and SPDX carry the reasons and decode them back', () => {
  const native = toInventoryJson(INCOMPLETE, { image: DEBIAN_IMAGE });
  assert.deepEqual((JSON.parse(native) as { incomplete?: string[] }).incomplete, REASONS);
  const cdx = toCycloneDxJson(INCOMPLETE, { image: DEBIAN_IMAGE });
  const bom = JSON.parse(cdx) as { metadata: { properties?: Array<{ name: string; value: string }> } };
  assert.deepEqual(bom.metadata.properties?.map((p) => `${p.name}=${p.value}`).sort(), REASONS.map((r) => `portcullis:incomplete=${r}`).sort());
  assert.deepEqual(cycloneDx16Validator()(bom), []);
  const spdx = toSpdxJson(INCOMPLETE, { image: DEBIAN_IMAGE });
  const doc = JSON.parse(spdx) as { annotations?: Array<{ comment: string; annotationType: string }> };
  assert.deepEqual(doc.annotations?.map((a) => `${a.annotationType} ${a.comment}`), REASONS.map((r) => `OTHER portcullis:incomplete: ${r}`));
  const validateSpdx = spdx23Validator();
  if (validateSpdx) assert.deepEqual(validateSpdx(doc), []);
  for (const text of [native, cdx, spdx]) {
    const decoded = decodeSbom(text);
    assert.deepEqual([...(decoded.inventory.incomplete ?? [])].sort(), [...REASONS].sort(), decoded.format);
    assert.equal(decoded.inventory.packages.length, ALPINE_INVENTORY.packages.length, decoded.format);
  }
});

test('a complete inventory writes no trace of it, and decodes complete', () => {
  for (const text of [toInventoryJson(ALPINE_INVENTORY), toCycloneDxJson(ALPINE_INVENTORY), toSpdxJson(ALPINE_INVENTORY)]) {
    assert.doesNotMatch(text, /incomplete/);
    assert.equal(decodeSbom(text).inventory.incomplete, undefined);
  }
});

test('a native document whose "incomplete" is not a list of strings is incomplete, not complete', () => {
  const doc = JSON.parse(toInventoryJson(ALPINE_INVENTORY)) as Record<string, unknown>;
  doc.incomplete = 'yes';
  assert.deepEqual(decodeSbom(JSON.stringify(doc)).inventory.incomplete, ['the document\'s "incomplete" is not a list of strings']);
});
