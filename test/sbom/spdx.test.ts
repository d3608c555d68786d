/**
 * SPDX 2.3 output, validated against the official schema (spdx/spdx-spec v2.3
 * `schemas/spdx-schema.json`, read in place from ../shared/schemas) in every
 * run, plus the 2.3 rules the schema cannot express, as explicit assertions.
 * And SPDX written by someone else: the spec's own 2.3 example document is
 * read back in as an inventory.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Inventory, Package } from '../../src/core/inventory.js';
import { decodeSbomFile } from '../../src/sbom/decode.js';
import { buildSpdxDocument, type SpdxDocument, type SpdxPackage, toSpdxJson } from '../../src/sbom/spdx.js';
import { DEBIAN_IMAGE, DEBIAN_INVENTORY, DEBIAN_PACKAGES, largeInventory } from './fixtures.js';
import { SPDX_EXAMPLE, spdx23Validator } from './schemas.js';

const FIXED = { created: new Date('2024-03-01T12:00:00.123Z'), documentNamespace: 'https://spdx.org/spdxdocs/portcullis-test-0001' };
const SPDXID = /^SPDXRef-[A-Za-z0-9.-]+$/;
const PURPOSES = new Set(['OTHER', 'INSTALL', 'ARCHIVE', 'FIRMWARE', 'APPLICATION', 'FRAMEWORK', 'LIBRARY', 'CONTAINER', 'SOURCE', 'DEVICE', 'OPERATING_SYSTEM', 'FILE']);

function build(inventory: Inventory = DEBIAN_INVENTORY): SpdxDocument {
  return JSON.parse(toSpdxJson(inventory, { image: DEBIAN_IMAGE, ...FIXED })) as SpdxDocument;
}

/** The SPDX 2.3 rules the schema (and the spec's prose) impose, as assertions. */
function assertSpdx23(doc: SpdxDocument): void {
  assert.deepEqual(spdx23Validator()(doc), [], 'valid against the official SPDX 2.3 JSON schema');
  const top = doc as unknown as Record<string, unknown>;
  for (const key of ['SPDXID', 'creationInfo', 'dataLicense', 'name', 'spdxVersion', 'documentNamespace']) assert.ok(key in top, `document.${key}`);
  const allowed = new Set(['SPDXID', 'annotations', 'comment', 'creationInfo', 'dataLicense', 'externalDocumentRefs', 'hasExtractedLicensingInfos', 'name', 'revieweds', 'spdxVersion', 'documentNamespace', 'documentDescribes', 'packages', 'files', 'snippets', 'relationships']);
  for (const key of Object.keys(top)) assert.ok(allowed.has(key), `unexpected document property ${key}`);
  assert.equal(doc.spdxVersion, 'SPDX-2.3');
  assert.equal(doc.dataLicense, 'CC0-1.0');
  assert.equal(doc.SPDXID, 'SPDXRef-DOCUMENT');
  assert.match(doc.documentNamespace, /^[a-z][a-z0-9+.-]*:[^#\s]+$/);
  assert.match(doc.creationInfo.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(doc.creationInfo.creators.length > 0 && doc.creationInfo.creators.every((c) => /^(Tool|Organization|Person): \S/.test(c)));
  const ids = new Set<string>(['SPDXRef-DOCUMENT']);
  for (const p of doc.packages) {
    assert.match(p.SPDXID, SPDXID);
    assert.ok(!ids.has(p.SPDXID), `duplicate SPDXID ${p.SPDXID}`);
    ids.add(p.SPDXID);
    assert.ok(p.name && p.downloadLocation, `${p.SPDXID}: name and downloadLocation are required`);
    if (p.primaryPackagePurpose !== undefined) assert.ok(PURPOSES.has(p.primaryPackagePurpose), p.primaryPackagePurpose);
    for (const r of p.externalRefs ?? []) {
      assert.ok(['OTHER', 'PERSISTENT-ID', 'SECURITY', 'PACKAGE-MANAGER'].includes(r.referenceCategory));
      assert.ok(r.referenceType && r.referenceLocator && !/\s/.test(r.referenceLocator));
    }
    for (const a of p.annotations ?? []) {
      assert.ok(a.annotator && a.comment && ['OTHER', 'REVIEW'].includes(a.annotationType));
      assert.match(a.annotationDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  }
  const declaredRefs = new Set((doc.hasExtractedLicensingInfos ?? []).map((e) => e.licenseId));
  for (const e of doc.hasExtractedLicensingInfos ?? []) assert.match(e.licenseId, /^LicenseRef-[A-Za-z0-9.-]+$/);
  for (const p of doc.packages) {
    for (const used of `${p.licenseDeclared ?? ''} ${p.licenseConcluded ?? ''}`.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? []) {
      assert.ok(declaredRefs.has(used), `${used} used by ${p.name} is declared in hasExtractedLicensingInfos`);
    }
  }
  for (const r of doc.relationships) {
    assert.ok(ids.has(r.spdxElementId), `relationship from unknown ${r.spdxElementId}`);
    assert.ok(ids.has(r.relatedSpdxElement), `relationship to unknown ${r.relatedSpdxElement}`);
  }
}

test('SPDX output passes the official SPDX 2.3 JSON schema and has the required 2.3 structure', () => {
  assertSpdx23(build());
});

test('the structural check can fail', () => {
  const doc = build();
  const broken = structuredClone(doc);
  (broken.packages[2] as SpdxPackage).SPDXID = 'SPDXRef-has space';
  assert.throws(() => assertSpdx23(broken));
  const dangling = structuredClone(doc);
  dangling.relationships.push({ spdxElementId: 'SPDXRef-Image', relationshipType: 'CONTAINS', relatedSpdxElement: 'SPDXRef-nowhere' });
  assert.throws(() => assertSpdx23(dangling));
});

test('the image is a CONTAINER package the document DESCRIBES; packages carry purls and licences', () => {
  const doc = build();
  assert.equal(doc.name, 'registry.example/app:1.4.2');
  assert.equal(doc.documentNamespace, FIXED.documentNamespace);
  assert.equal(doc.creationInfo.created, '2024-03-01T12:00:00Z');
  assert.deepEqual(doc.creationInfo.creators, ['Tool: portcullis-0.1.0']);
  const image = doc.packages.find((p) => p.primaryPackagePurpose === 'CONTAINER') as SpdxPackage;
  assert.equal(image.versionInfo, DEBIAN_IMAGE.digest);
  assert.ok(doc.relationships.some((r) => r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES' && r.relatedSpdxElement === image.SPDXID));
  const os = doc.packages.find((p) => p.primaryPackagePurpose === 'OPERATING_SYSTEM') as SpdxPackage;
  assert.equal(os.name, 'debian');
  assert.equal(os.versionInfo, '12');
  const libs = doc.packages.filter((p) => p.primaryPackagePurpose === 'LIBRARY');
  assert.equal(libs.length, DEBIAN_PACKAGES.length);
  for (const pkg of DEBIAN_PACKAGES) {
    const entry = libs.find((p) => p.externalRefs?.some((r) => r.referenceCategory === 'PACKAGE-MANAGER' && r.referenceType === 'purl' && r.referenceLocator === pkg.purl));
    assert.ok(entry, pkg.purl);
    assert.equal(entry.versionInfo, pkg.version);
    const parent = pkg.ecosystem === 'debian' ? os.SPDXID : image.SPDXID;
    assert.ok(doc.relationships.some((r) => r.spdxElementId === parent && r.relationshipType === 'CONTAINS' && r.relatedSpdxElement === entry.SPDXID), `${parent} CONTAINS ${pkg.name}`);
  }
  const bsd = libs.find((p) => p.name === 'bsdutils') as SpdxPackage;
  assert.equal(bsd.licenseDeclared, 'GPL-2.0-or-later AND LicenseRef-public-domain');
  assert.deepEqual(doc.hasExtractedLicensingInfos, [{ licenseId: 'LicenseRef-public-domain', extractedText: 'public-domain', name: 'public-domain' }]);
  assert.equal(bsd.sourceInfo, 'built package from: util-linux 2.38.1-5');
  assert.ok(bsd.annotations?.some((a) => a.comment === `portcullis:layer:diffID: sha256:${'b'.repeat(64)}`));
  assert.equal(libs.find((p) => p.name === 'tzdata')?.licenseDeclared, 'NOASSERTION');
  const core = libs.find((p) => p.name === '@babel/core') as SpdxPackage;
  const parser = libs.find((p) => p.name === '@babel/parser') as SpdxPackage;
  assert.deepEqual(
    doc.relationships.filter((r) => r.relationshipType === 'DEPENDS_ON'),
    [{ spdxElementId: core.SPDXID, relationshipType: 'DEPENDS_ON', relatedSpdxElement: parser.SPDXID }],
  );
});

test('licences: expressions kept, names become declared LicenseRefs, odd characters cleaned', () => {
  const p = DEBIAN_PACKAGES[3] as Package;
  const inv: Inventory = {
    ...DEBIAN_INVENTORY,
    packages: [
      { ...p, licenses: ['MIT OR Apache-2.0', 'ISC'] },
      { ...p, path: 'x/package.json', licenses: ['GPL-2+ with OpenSSL exception', 'LicenseRef-vendor'] },
      { ...p, path: 'y/package.json', licenses: ['Artistic-1.0-Perl OR GPL-1.0-or-later', 'GPL-2+ with OpenSSL exception'] },
    ],
  };
  const doc = build(inv);
  assertSpdx23(doc);
  const declared = doc.packages.filter((x) => x.primaryPackagePurpose === 'LIBRARY').map((x) => x.licenseDeclared);
  assert.ok(declared.includes('(MIT OR Apache-2.0) AND ISC'));
  assert.ok(declared.includes('LicenseRef-GPL-2-with-OpenSSL-exception AND LicenseRef-vendor'));
  assert.ok(declared.includes('(Artistic-1.0-Perl OR GPL-1.0-or-later) AND LicenseRef-GPL-2-with-OpenSSL-exception'));
});

test('deterministic for fixed created/namespace, whatever the package order', () => {
  const a = toSpdxJson(DEBIAN_INVENTORY, { image: DEBIAN_IMAGE, ...FIXED });
  const b = toSpdxJson({ ...DEBIAN_INVENTORY, packages: [...DEBIAN_PACKAGES].reverse() }, { image: DEBIAN_IMAGE, ...FIXED });
  assert.equal(a, b);
  const fresh = buildSpdxDocument(DEBIAN_INVENTORY, { image: DEBIAN_IMAGE });
  assert.match(fresh.documentNamespace, /^https:\/\/spdx\.org\/spdxdocs\/portcullis-registry\.example-app-1\.4\.2-[0-9a-f-]{36}$/);
});

test('10,000 packages serialise with unique SPDXIDs and every package related', () => {
  const inv = largeInventory(10_000);
  const doc = JSON.parse(toSpdxJson(inv, { image: DEBIAN_IMAGE, ...FIXED, space: 0 })) as SpdxDocument;
  assert.equal(doc.packages.length, 10_000 + 2);
  assertSpdx23(doc);
  const purls = new Set(doc.packages.flatMap((p) => (p.externalRefs ?? []).map((r) => r.referenceLocator)));
  assert.deepEqual(purls, new Set(inv.packages.map((p) => p.purl)));
  assert.equal(doc.relationships.filter((r) => r.relationshipType === 'CONTAINS').length, 10_000 + 1);
  assert.equal(doc.relationships.filter((r) => r.relationshipType === 'DEPENDS_ON').length, 4_999);
});

test('the SPDX 2.3 spec\'s own example document reads back as an inventory: every package with a purl, the rest named in a warning', async () => {
  const raw = JSON.parse(readFileSync(SPDX_EXAMPLE, 'utf8')) as { spdxVersion: string; packages: Array<{ name: string; versionInfo?: string; externalRefs?: Array<{ referenceType: string; referenceLocator: string }> }> };
  assert.deepEqual(spdx23Validator()(raw), [], 'the example is itself valid');
  const withPurl = raw.packages.flatMap((p) => (p.externalRefs ?? []).filter((r) => r.referenceType === 'purl').map((r) => ({ purl: r.referenceLocator, version: p.versionInfo })));
  const decoded = await decodeSbomFile(SPDX_EXAMPLE);
  assert.equal(decoded.format, 'spdx');
  assert.deepEqual(
    decoded.inventory.packages.map((p) => ({ purl: p.purl, version: p.version })),
    withPurl,
  );
  const skipped = raw.packages.length - withPurl.length;
  assert.ok(decoded.inventory.warnings.some((w) => w.includes(`${skipped} component${skipped === 1 ? '' : 's'} without a purl skipped`)), decoded.inventory.warnings.join('; '));
});
