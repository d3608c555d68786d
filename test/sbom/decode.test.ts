/**
 * Reading SBOMs back: our own CycloneDX, SPDX and JSON round-trip without
 * loss, and hostile or unsupported input fails with its code (caps, malformed
 * documents, bad purls, deep nesting). Other tools' documents: decode-foreign.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { Inventory, Package } from '../../src/core/inventory.js';
import { toCycloneDxJson } from '../../src/sbom/cyclonedx.js';
import { decodeSbom, decodeSbomFile, decodeSbomStream } from '../../src/sbom/decode.js';
import { SbomError } from '../../src/sbom/errors.js';
import { toInventoryJson } from '../../src/sbom/json.js';
import { toSpdxJson } from '../../src/sbom/spdx.js';
import { ALPINE_INVENTORY, DEBIAN_IMAGE, DEBIAN_INVENTORY, DEBIAN_PACKAGES, largeInventory, packageSet } from './fixtures.js';
import { syftJson } from './foreign-documents.js';

const byPurlPath = (a: Package, b: Package): number => (a.purl + a.path < b.purl + b.path ? -1 : 1);
/** Packages in a stable order, licences sorted (CycloneDX sorts its licence lists). */
const sorted = (ps: readonly Package[]): Package[] => [...ps].sort(byPurlPath).map((p) => (p.licenses ? { ...p, licenses: [...p.licenses].sort() } : p));
const code = (c: string) => (e: unknown) => e instanceof SbomError && e.code === c;

// ---------------------------------------------------------------------------
// Our own formats round-trip without loss.

test('our CycloneDX decodes back to the same packages, OS and image', () => {
  const text = toCycloneDxJson(DEBIAN_INVENTORY, { image: DEBIAN_IMAGE });
  const decoded = decodeSbom(text);
  assert.equal(decoded.format, 'cyclonedx');
  assert.equal(decoded.formatVersion, '1.6');
  assert.equal(decoded.producer, 'portcullis');
  assert.deepEqual(decoded.image, DEBIAN_IMAGE);
  assert.deepEqual(decoded.inventory.os, DEBIAN_INVENTORY.os);
  assert.deepEqual(sorted(decoded.inventory.packages), sorted(DEBIAN_PACKAGES));
  assert.deepEqual(decoded.inventory.warnings, []);
});

test('our SPDX decodes back to the same packages, OS and image', () => {
  const decoded = decodeSbom(toSpdxJson(DEBIAN_INVENTORY, { image: DEBIAN_IMAGE }));
  assert.equal(decoded.format, 'spdx');
  assert.equal(decoded.formatVersion, 'SPDX-2.3');
  assert.equal(decoded.producer, 'portcullis');
  assert.deepEqual(decoded.image, DEBIAN_IMAGE);
  assert.deepEqual(decoded.inventory.os, DEBIAN_INVENTORY.os);
  assert.deepEqual(sorted(decoded.inventory.packages), sorted(DEBIAN_PACKAGES));
});

test('our native JSON decodes back to the same inventory', () => {
  const text = toInventoryJson(DEBIAN_INVENTORY, { image: DEBIAN_IMAGE });
  const doc = JSON.parse(text) as { schemaVersion: number; packages: Package[] };
  assert.equal(doc.schemaVersion, 1);
  assert.deepEqual(doc.packages.map((p) => p.purl), sorted(DEBIAN_PACKAGES).map((p) => p.purl).sort());
  const decoded = decodeSbom(text);
  assert.equal(decoded.format, 'portcullis-json');
  assert.deepEqual(decoded.image, DEBIAN_IMAGE);
  assert.deepEqual(decoded.inventory.os, DEBIAN_INVENTORY.os);
  assert.deepEqual(sorted(decoded.inventory.packages), sorted(DEBIAN_PACKAGES));
});

test('the Alpine inventory round-trips through all three formats', () => {
  for (const text of [toCycloneDxJson(ALPINE_INVENTORY), toSpdxJson(ALPINE_INVENTORY), toInventoryJson(ALPINE_INVENTORY)]) {
    const decoded = decodeSbom(text);
    assert.deepEqual(sorted(decoded.inventory.packages), sorted(ALPINE_INVENTORY.packages), decoded.format);
    assert.equal(decoded.inventory.os?.id, 'alpine');
    assert.equal(decoded.inventory.os?.versionId, '3.19.1');
  }
});

// ---------------------------------------------------------------------------
// Hostile and unsupported input.

test('malformed, non-object and unknown documents fail with clear codes', () => {
  assert.throws(() => decodeSbom('{"bomFormat": "CycloneDX", '), code('SBOM_INVALID'));
  assert.throws(() => decodeSbom('[1,2,3]'), code('SBOM_INVALID'));
  assert.throws(() => decodeSbom('"text"'), code('SBOM_INVALID'));
  assert.throws(() => decodeSbom('{"hello": "world"}'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('{"bomFormat":"CycloneDX","specVersion":"2.0","components":[]}'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('{"bomFormat":"CycloneDX"}'), code('SBOM_INVALID'));
  assert.throws(() => decodeSbom('{"bomFormat":"CycloneDX","specVersion":"1.6","components":{}}'), code('SBOM_INVALID'));
  assert.throws(() => decodeSbom('{"spdxVersion":"SPDX-3.0","packages":[]}'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}'), code('SBOM_UNSUPPORTED'));
  assert.throws(() => decodeSbom('{"schemaVersion":2,"packages":[]}'), code('SBOM_UNSUPPORTED'));
});

test('byte and component caps fail with TOO_LARGE (buffer, stream and file)', async () => {
  const text = toCycloneDxJson(DEBIAN_INVENTORY, { image: DEBIAN_IMAGE });
  assert.throws(() => decodeSbom(text, { maxBytes: 1000 }), code('TOO_LARGE'));
  assert.throws(() => decodeSbom(text, { maxComponents: 5 }), code('TOO_LARGE'));
  assert.throws(() => decodeSbom(toSpdxJson(DEBIAN_INVENTORY), { maxComponents: 5 }), code('TOO_LARGE'));
  assert.throws(() => decodeSbom(JSON.stringify(syftJson()), { maxComponents: 5 }), code('TOO_LARGE'));
  assert.throws(() => decodeSbom(toInventoryJson(DEBIAN_INVENTORY), { maxComponents: 5 }), code('TOO_LARGE'));
  // A stream is cut as soon as the cap is passed: the rest is never pulled.
  let pulled = 0;
  async function* endless(): AsyncGenerator<Uint8Array> {
    for (;;) {
      pulled++;
      yield Buffer.alloc(64 * 1024, 0x20);
    }
  }
  await assert.rejects(decodeSbomStream(endless(), { maxBytes: 1024 * 1024 }), code('TOO_LARGE'));
  assert.ok(pulled <= 17, `pulled ${pulled} chunks`);
  const decoded = await decodeSbomStream(Readable.from([Buffer.from(text)]));
  assert.equal(decoded.inventory.packages.length, DEBIAN_PACKAGES.length);
  const dir = mkdtempSync(join(tmpdir(), 'sbom-decode-'));
  const file = join(dir, 'bom.json');
  writeFileSync(file, text);
  await assert.rejects(decodeSbomFile(file, { maxBytes: 100 }), code('TOO_LARGE'));
  assert.equal((await decodeSbomFile(file)).inventory.packages.length, DEBIAN_PACKAGES.length);
});

test('invalid purls and unknown purl types are warnings; the other packages are kept', () => {
  const doc = JSON.parse(toCycloneDxJson(DEBIAN_INVENTORY)) as { components: Array<Record<string, unknown>> };
  const libs = doc.components.filter((c) => c.type === 'library');
  (libs[0] as Record<string, unknown>).purl = 'pkg:maven/no-namespace@1.0';
  (libs[1] as Record<string, unknown>).purl = 'not a purl at all';
  (libs[2] as Record<string, unknown>).purl = 'pkg:generic/openssl@3.0.13';
  doc.components.push(42 as unknown as Record<string, unknown>);
  const decoded = decodeSbom(JSON.stringify(doc));
  assert.equal(decoded.inventory.packages.length, DEBIAN_PACKAGES.length - 3);
  const warnings = decoded.inventory.warnings.join('\n');
  assert.match(warnings, /components\[\d+\]: invalid package URL "pkg:maven\/no-namespace@1.0".*skipped/);
  assert.match(warnings, /components\[\d+\]: invalid package URL "not a purl at all"/);
  assert.match(warnings, /purl type "generic" is not one we catalogue/);
  assert.match(warnings, /not an object; skipped/);
});

test('deeply nested CycloneDX components are flattened without recursion', () => {
  // Built as text: JSON.stringify itself would recurse this deep.
  const depth = 20_000;
  const leaf = '{"type":"library","name":"leaf","version":"1.0.0","purl":"pkg:npm/leaf@1.0.0"}';
  const text = `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[${'{"type":"library","name":"n","components":['.repeat(depth)}${leaf}${']}'.repeat(depth)}]}`;
  const decoded = decodeSbom(text);
  assert.deepEqual(decoded.inventory.packages.map((p) => p.purl), ['pkg:npm/leaf@1.0.0']);
});

test('10,000 packages round-trip through CycloneDX, SPDX and native JSON', () => {
  const inv: Inventory = largeInventory(10_000);
  const expected = packageSet(inv.packages);
  for (const text of [toCycloneDxJson(inv, { space: 0 }), toSpdxJson(inv, { space: 0 }), toInventoryJson(inv, { space: 0 })]) {
    const decoded = decodeSbom(text);
    assert.deepEqual(packageSet(decoded.inventory.packages), expected, decoded.format);
    assert.equal(decoded.inventory.packages.filter((p) => p.dependsOn?.length === 1).length, 4_999, decoded.format);
  }
});
