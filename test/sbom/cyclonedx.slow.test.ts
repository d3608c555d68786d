import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toCycloneDxJson } from '../../src/sbom/cyclonedx.js';
import { DEBIAN_IMAGE, largeInventory } from './fixtures.js';
import { cycloneDx16Validator } from './schemas.js';

const FIXED = { serialNumber: 'urn:uuid:3ff14136-e09f-4df9-80ea-000000000001', timestamp: new Date('2024-03-01T12:00:00Z') };

interface CdxComponent {
  type: string;
  name: string;
  version?: string;
  'bom-ref'?: string;
  purl?: string;
  description?: string;
  licenses?: Array<{ license?: { id?: string; name?: string }; expression?: string }>;
  properties?: Array<{ name: string; value: string }>;
}
interface CdxBom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp: string; component: CdxComponent; tools: { components: CdxComponent[] } };
  components: CdxComponent[];
  dependencies: Array<{ ref: string; dependsOn?: string[] }>;
}

test('10,000 packages serialise to a valid document with every package in it', () => {
  const inv = largeInventory(10_000);
  const text = toCycloneDxJson(inv, { image: DEBIAN_IMAGE, ...FIXED, space: 0 });
  const bom = JSON.parse(text) as CdxBom;
  const libraries = bom.components.filter((c) => c.type === 'library');
  assert.equal(libraries.length, 10_000);
  assert.deepEqual(new Set(libraries.map((c) => c.purl)), new Set(inv.packages.map((p) => p.purl)));
  assert.equal(bom.dependencies.length, 10_000 + 2);
  const npmWithDeps = bom.dependencies.filter((d) => d.ref.startsWith('pkg:npm/') && (d.dependsOn?.length ?? 0) === 1);
  assert.equal(npmWithDeps.length, 4_999);
  assert.deepEqual(cycloneDx16Validator()(bom), []);
});
