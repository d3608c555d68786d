/**
 * `portcullis sbom` end to end: the real Debian image's dpkg inventory equals
 * what dpkg-query reads from the same rootfs; packages know the layer that
 * introduced them; CycloneDX output validates against the 1.6 schema.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { buildLayout } from '../support/oci-builder.js';
import { peerImages, runCommand, type PeerImages } from '../support/peers.js';
import { cycloneDx16Validator, spdx23Validator } from '../sbom/schemas.js';

interface NativePackage {
  name: string;
  version: string;
  foundBy: string;
  arch?: string;
  source?: { name: string; version?: string };
  layer?: { index: number };
  purl: string;
}

let images: PeerImages;
before(async () => {
  images = await peerImages('all');
});

async function inventory(name: string): Promise<NativePackage[]> {
  const result = await runCli(['sbom', name, '--format', 'json', '-q']);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { packages: NativePackage[] }).packages;
}

test('the Debian image: the dpkg set equals dpkg-query on the same rootfs', async () => {
  const ours = (await inventory(images.debianOci)).filter((p) => p.foundBy === 'dpkg');
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-rootfs-'));
  const [layoutDir, tag] = images.debianOci.replace(/^oci:/, '').split(/:(?=[^:]+$)/) as [string, string];
  const unpack = await runCommand('umoci', ['unpack', '--rootless', '--image', `${layoutDir}:${tag}`, join(dir, 'bundle')]);
  assert.equal(unpack.code, 0, unpack.stderr);
  const query = await runCommand('dpkg-query', [
    `--admindir=${join(dir, 'bundle', 'rootfs', 'var', 'lib', 'dpkg')}`,
    '-W',
    '-f=${db:Status-Abbrev}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\n',
  ]);
  assert.equal(query.code, 0, query.stderr);
  const expected = query.stdout
    .trim()
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((f) => f[0]?.startsWith('ii'))
    .map(([, name, version, srcName, srcVersion, arch]) => `${name} ${version} ${srcName} ${srcVersion} ${arch}`)
    .sort();
  const actual = ours.map((p) => `${p.name} ${p.version} ${p.source?.name ?? p.name} ${p.source?.version ?? p.version} ${p.arch}`).sort();
  assert.equal(actual.length, 88);
  assert.deepEqual(actual, expected);
  assert.ok(ours.every((p) => p.layer?.index === 0 && p.purl.startsWith('pkg:deb/debian/')));
});

test('the tiny image: packages from different layers, each with its layer', async () => {
  const packages = await inventory(images.tinyOci);
  const byName = new Map(packages.map((p) => [p.name, p]));
  assert.equal(byName.get('busybox-static')?.layer?.index, 0);
  assert.equal(byName.get('lodash')?.version, '4.17.15');
  assert.equal(byName.get('lodash')?.layer?.index, 2);
  assert.equal(byName.get('minimist')?.version, '1.2.5');
  assert.equal(byName.get('minimist')?.purl, 'pkg:npm/minimist@1.2.5');
});

test('a package database rewritten by later layers: each package keeps the layer that installed it', async () => {
  const stanza = (name: string, version: string): string =>
    `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\nDescription: test\n\n`;
  const layout = await buildLayout({
    layers: [
      { entries: [{ name: 'var/lib/dpkg/status', body: stanza('base-files', '12.4') + stanza('libc6', '2.36-9') }] },
      { entries: [{ name: 'var/lib/dpkg/status', body: stanza('base-files', '12.4') + stanza('libc6', '2.36-9') + stanza('curl', '7.88.1-10') }] },
      { entries: [{ name: 'app/x', body: 'unrelated' }] },
      // libc6 upgraded in layer 3: the upgrade is what the image runs, introduced there.
      { entries: [{ name: 'var/lib/dpkg/status', body: stanza('base-files', '12.4') + stanza('libc6', '2.36-9+deb12u4') + stanza('curl', '7.88.1-10') }] },
    ],
  });
  const packages = await inventory(layout.name);
  const layerOf = Object.fromEntries(packages.map((p) => [`${p.name}@${p.version}`, p.layer?.index]));
  assert.deepEqual(layerOf, { 'base-files@12.4': 0, 'curl@7.88.1-10': 1, 'libc6@2.36-9+deb12u4': 3 });
});

test('CycloneDX output validates against the 1.6 schema and names the image', async () => {
  const validate = cycloneDx16Validator();
  const result = await runCli(['sbom', images.tinyOci, '--format', 'cyclonedx', '-q']);
  assert.equal(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout) as { specVersion: string; metadata: { component: { type: string; name: string } }; components: Array<{ purl?: string }> };
  assert.deepEqual(validate(doc), []);
  assert.equal(doc.specVersion, '1.6');
  assert.equal(doc.metadata.component.type, 'container');
  assert.ok(doc.components.some((c) => c.purl === 'pkg:npm/lodash@4.17.15'));
});

test('SPDX output of the real Debian and tiny images validates against the official SPDX 2.3 schema', async () => {
  const validate = spdx23Validator();
  for (const image of [images.tinyOci, images.debianOci]) {
    const result = await runCli(['sbom', image, '--format', 'spdx', '-q']);
    assert.equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as { spdxVersion: string; packages: Array<{ externalRefs?: Array<{ referenceLocator: string }> }> };
    assert.deepEqual(validate(doc), [], image);
    assert.equal(doc.spdxVersion, 'SPDX-2.3');
    if (image === images.tinyOci) assert.ok(doc.packages.some((p) => p.externalRefs?.some((r) => r.referenceLocator === 'pkg:npm/lodash@4.17.15')));
  }
});
