import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import type { Inventory, Package } from '../../src/core/inventory.js';
import { cycloneDxLicenses, toCycloneDxJson } from '../../src/sbom/cyclonedx.js';
import { DEBIAN_IMAGE, DEBIAN_INVENTORY, DEBIAN_PACKAGES } from './fixtures.js';
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

function build(inventory: Inventory = DEBIAN_INVENTORY): { text: string; bom: CdxBom } {
  const text = toCycloneDxJson(inventory, { image: DEBIAN_IMAGE, ...FIXED });
  return { text, bom: JSON.parse(text) as CdxBom };
}

function sortedJson(list: unknown[] | undefined): string[] {
  return (list ?? []).map((x) => JSON.stringify(x)).sort();
}

function prop(c: CdxComponent, name: string): string | undefined {
  return c.properties?.find((p) => p.name === name)?.value;
}

test('CycloneDX output is valid against the official 1.6 schema (ajv) and the library strict validator', async () => {
  const { text, bom } = build();
  assert.deepEqual(cycloneDx16Validator()(bom), []);
  const strict = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
  assert.equal(await strict.validate(text), null);
});

test('the schema check can fail: a broken document is rejected', () => {
  const { bom } = build();
  const broken = structuredClone(bom) as unknown as { components: Array<Record<string, unknown>> };
  (broken.components[0] as Record<string, unknown>).type = 'not-a-component-type';
  assert.notDeepEqual(cycloneDx16Validator()(broken), []);
  const mixed = structuredClone(bom) as unknown as { components: Array<Record<string, unknown>> };
  (mixed.components[1] as Record<string, unknown>).licenses = [{ expression: 'MIT' }, { license: { id: 'MIT' } }];
  assert.notDeepEqual(cycloneDx16Validator()(mixed), [], 'a licence list mixing an expression and ids is not valid 1.6');
});

test('the image is the root container component, the OS an operating-system component', () => {
  const { bom } = build();
  assert.equal(bom.bomFormat, 'CycloneDX');
  assert.equal(bom.specVersion, '1.6');
  assert.equal(bom.serialNumber, FIXED.serialNumber);
  assert.equal(bom.metadata.timestamp, '2024-03-01T12:00:00.000Z');
  assert.equal(bom.metadata.tools.components[0]?.name, 'portcullis');
  const root = bom.metadata.component;
  assert.equal(root.type, 'container');
  assert.equal(root.name, 'registry.example/app:1.4.2');
  assert.equal(root.version, DEBIAN_IMAGE.digest);
  assert.equal(prop(root, 'portcullis:image:platform'), 'linux/amd64');
  assert.equal(prop(root, 'portcullis:image:configDigest'), DEBIAN_IMAGE.configDigest);
  const os = bom.components.filter((c) => c.type === 'operating-system');
  assert.equal(os.length, 1);
  assert.equal(os[0]?.name, 'debian');
  assert.equal(os[0]?.version, '12');
  assert.equal(os[0]?.description, 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(prop(os[0] as CdxComponent, 'portcullis:os:versionCodename'), 'bookworm');
});

test('each package is a library component with purl, licences and layer/source properties', () => {
  const { bom } = build();
  const libraries = bom.components.filter((c) => c.type === 'library');
  assert.equal(libraries.length, DEBIAN_PACKAGES.length);
  assert.deepEqual(libraries.map((c) => c.purl).sort(), DEBIAN_PACKAGES.map((p) => p.purl).sort());
  const bsd = libraries.find((c) => c.name === 'bsdutils') as CdxComponent;
  assert.equal(bsd.version, '1:2.38.1-5+b1');
  assert.equal(bsd.purl, 'pkg:deb/debian/bsdutils@2.38.1-5+b1?arch=amd64&distro=debian-12&epoch=1');
  assert.equal(bsd['bom-ref'], bsd.purl);
  assert.equal(prop(bsd, 'portcullis:layer:index'), '0');
  assert.equal(prop(bsd, 'portcullis:layer:digest'), `sha256:${'a'.repeat(64)}`);
  assert.equal(prop(bsd, 'portcullis:layer:diffID'), `sha256:${'b'.repeat(64)}`);
  assert.equal(prop(bsd, 'portcullis:package:foundBy'), 'dpkg');
  assert.equal(prop(bsd, 'portcullis:package:path'), 'var/lib/dpkg/status');
  assert.equal(prop(bsd, 'portcullis:package:source-name'), 'util-linux');
  assert.equal(prop(bsd, 'portcullis:package:source-version'), '2.38.1-5');
  // One SPDX id and one name (not an SPDX id) as a licence list.
  assert.deepEqual(sortedJson(bsd.licenses), sortedJson([{ license: { id: 'GPL-2.0-or-later' } }, { license: { name: 'public-domain' } }]));
  const libc = libraries.find((c) => c.name === 'libc6') as CdxComponent;
  assert.deepEqual(sortedJson(libc.licenses), sortedJson([{ license: { id: 'GPL-2.0-only' } }, { license: { id: 'LGPL-2.1-or-later' } }]));
  assert.equal(prop(libc, 'portcullis:package:source-version'), undefined);
  const stdlib = libraries.find((c) => c.purl === 'pkg:golang/stdlib@1.22.1') as CdxComponent;
  assert.equal(prop(stdlib, 'portcullis:metadata:kind'), 'stdlib');
  assert.equal(libraries.find((c) => c.name === 'org.apache.logging.log4j:log4j-core')?.purl, 'pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1');
});

test('dependencies: image → OS and non-OS packages, OS → OS packages, package → dependsOn', () => {
  const { bom } = build();
  const deps = new Map(bom.dependencies.map((d) => [d.ref, d.dependsOn ?? []]));
  const rootRef = bom.metadata.component['bom-ref'] as string;
  const osRef = bom.components.find((c) => c.type === 'operating-system')?.['bom-ref'] as string;
  const osPurls = DEBIAN_PACKAGES.filter((p) => p.ecosystem === 'debian').map((p) => p.purl).sort();
  const otherPurls = DEBIAN_PACKAGES.filter((p) => p.ecosystem !== 'debian').map((p) => p.purl);
  assert.deepEqual(deps.get(rootRef), [osRef, ...otherPurls].sort());
  assert.deepEqual(deps.get(osRef), osPurls);
  assert.deepEqual(deps.get('pkg:npm/%40babel/core@7.24.0'), ['pkg:npm/%40babel/parser@7.24.0']);
  assert.deepEqual(deps.get('pkg:npm/%40babel/parser@7.24.0'), []);
});

test('output is deterministic: same input → same bytes, whatever the package order', () => {
  const a = build().text;
  const shuffled: Inventory = { ...DEBIAN_INVENTORY, packages: [...DEBIAN_PACKAGES].reverse() };
  assert.equal(build(shuffled).text, a);
  assert.equal(build().text, a);
  const random = toCycloneDxJson(DEBIAN_INVENTORY, { image: DEBIAN_IMAGE });
  assert.match((JSON.parse(random) as CdxBom).serialNumber, /^urn:uuid:[0-9a-f-]{36}$/);
});

test('licences: ids stay a list, compound expressions become one expression, names with expressions become names', () => {
  const norm = (ls: string[]): unknown => JSON.parse(JSON.stringify(cycloneDxLicenses(ls).map((l) => ('expression' in l ? { expression: l.expression } : 'id' in l ? { id: l.id } : { name: (l as { name: string }).name }))));
  assert.deepEqual(norm(['MIT', 'Apache-2.0']), [{ id: 'MIT' }, { id: 'Apache-2.0' }]);
  assert.deepEqual(norm(['MIT OR Apache-2.0']), [{ expression: 'MIT OR Apache-2.0' }]);
  assert.deepEqual(norm(['BSD-3-Clause', 'GPL-2.0-or-later WITH Classpath-exception-2.0']), [{ expression: 'BSD-3-Clause AND GPL-2.0-or-later WITH Classpath-exception-2.0' }]);
  assert.deepEqual(norm(['MIT OR Apache-2.0', 'ISC']), [{ expression: '(MIT OR Apache-2.0) AND ISC' }]);
  assert.deepEqual(norm(['GPL-2+', 'MIT OR Apache-2.0']), [{ name: 'GPL-2+' }, { name: 'MIT OR Apache-2.0' }]);
  assert.deepEqual(norm(['MIT', 'MIT', ' ']), [{ id: 'MIT' }]);
  const odd: Inventory = {
    ...DEBIAN_INVENTORY,
    packages: [
      { ...(DEBIAN_PACKAGES[3] as Package), licenses: ['GPL-2+', 'MIT OR Apache-2.0'] },
      { ...(DEBIAN_PACKAGES[4] as Package), licenses: ['(MIT OR Apache-2.0)', 'ISC', 'LicenseRef-custom'] },
    ],
  };
  assert.deepEqual(cycloneDx16Validator()(build(odd).bom), []);
});

test('packages sharing a purl at different paths get distinct bom-refs and stay valid', () => {
  const p = DEBIAN_PACKAGES[4] as Package;
  const inv: Inventory = { ...DEBIAN_INVENTORY, packages: [p, { ...p, path: 'other/node_modules/@babel/parser/package.json' }, { ...p }] };
  const { bom } = build(inv);
  const refs = bom.components.filter((c) => c.type === 'library').map((c) => c['bom-ref']);
  assert.equal(refs.length, 3);
  assert.equal(new Set(refs).size, 3);
  assert.deepEqual(cycloneDx16Validator()(bom), []);
});
