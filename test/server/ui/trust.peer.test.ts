/**
 * The UI shows trust, not only findings: `portcullis serve --require-signature
 * --deny-severity CRITICAL` (configured from its flags, as the command does),
 * real skopeo pushing the real Debian and tiny images, `portcullis sign` and
 * `portcullis attest` attaching signatures and an attestation, and real
 * Chromium reading the UI. For every image the verdict the page shows is the
 * one a pull gets from /v2 (the same PullPolicy object): a signed clean image
 * shows its signer and "trusted" and would be served; the same image in a
 * repository where nobody signed it is "refused: unsigned" and its clean scan
 * is not shown green; a signed image with a CRITICAL finding is refused with
 * the CVE; showing verdicts does not count as refused pulls in the metrics. Accessory tags (`sha256-….sig`, `.att`) are listed under their
 * image, not as tags. The image page shows the pull commands, the layers
 * with their commands and sizes (a hostile `created_by` with markup and
 * control characters is shown as text), the packages from the stored
 * inventory and both SBOM downloads. One screenshot per page.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test, type TestContext } from 'node:test';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import type { Digest } from '../../../src/core/digest.js';
import { MediaType } from '../../../src/core/media-types.js';
import { startRegistry, type RunningRegistry } from '../../../src/server/open.js';
import { importPaths } from '../../../src/vuln/db.js';
import { cli, trustHome } from '../../cli/trust/helpers.js';
import { compress, sha256, tarOf } from '../../support/oci-builder.js';
import { DEBIAN_PRESENCE_ADVISORY, npmAdvisory, writeAdvisories } from '../../support/osv.js';
import { peerImages } from '../../support/peers.js';
import { missingPeer } from '../../support/require-peer.js';
import { skopeoCopy } from '../../support/skopeo.js';
import { CHROMIUM, launchBrowser, openPage, read, screenshot, type OpenedPage, type UiBrowser } from './browser.js';

const TLS = '--tls-verify=false';
/** minimist 1.2.5 in the tiny image, under its CVE alias. */
const ADVISORIES = [
  { ...npmAdvisory('GHSA-xvch-5gv4-984h', 'minimist', '1.2.6', 'CRITICAL'), aliases: ['CVE-2021-44906'] },
  npmAdvisory('GHSA-p6mc-m468-83gw', 'lodash', '4.17.19', 'HIGH'),
];
const PROVENANCE = 'https://slsa.dev/provenance/v1';
const EVIL_COMMAND = '/bin/sh -c echo "<script>window.__pwned=1</script>" \u001b[2J\u001b[31mred\u0007 \u202eexe.lave';
const EVIL_SHOWN = '/bin/sh -c echo "<script>window.__pwned=1</script>" \\u{1b}[2J\\u{1b}[31mred\\u{7} \\u{202e}exe.lave';

let work: string;
let env: NodeJS.ProcessEnv;
let registry: RunningRegistry;
let host: string;
let browser: UiBrowser | undefined;
let keyId: string;
let evilDigest: Digest;

/** Pushes blobs and a manifest over plain HTTP, as a hand-rolled client would. */
async function pushRaw(name: string, tag: string, blobs: readonly Buffer[], manifest: Buffer): Promise<Digest> {
  for (const blob of blobs) {
    const r = await fetch(`${registry.url}/v2/${name}/blobs/uploads/?digest=sha256:${sha256(blob)}`, { method: 'POST', body: blob, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(r.status, 201, await r.text());
  }
  const r = await fetch(`${registry.url}/v2/${name}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': MediaType.OciManifest } });
  assert.equal(r.status, 201, await r.text());
  return `sha256:${sha256(manifest)}` as Digest;
}

/** An image whose config history carries markup and control characters in `created_by`. */
async function pushEvil(): Promise<Digest> {
  const tars = [await tarOf([{ name: 'etc/os-release', body: 'ID=debian\nVERSION_ID="12"\n' }]), await tarOf([{ name: 'app/readme', body: 'hi' }])];
  const layers = tars.map((t) => compress(t, 'gzip'));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: tars.map((t) => `sha256:${sha256(t)}`) },
      history: [{ created_by: '/bin/sh -c #(nop) ADD file:abc in /' }, { created_by: '/bin/sh -c #(nop) ENV X=<b>1</b>', empty_layer: true }, { created_by: EVIL_COMMAND }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: `sha256:${sha256(config)}`, size: config.length },
      layers: layers.map((l) => ({ mediaType: MediaType.OciLayerGzip, digest: `sha256:${sha256(l)}`, size: l.length })),
    }),
  );
  return pushRaw('demo/evil', 'v1', [config, ...layers], manifest);
}

before(async () => {
  const images = await peerImages();
  work = await mkdtemp(join(tmpdir(), 'portcullis-ui-trust-'));
  env = await trustHome();
  const generated = await cli(['key', 'generate'], env);
  assert.equal(generated.code, 0, generated.stderr);
  keyId = generated.stdout.trim();
  const dbPath = join(work, 'advisories.sqlite');
  await importPaths(dbPath, [writeAdvisories(join(work, 'osv'), [...ADVISORIES, DEBIAN_PRESENCE_ADVISORY])]);
  const config = await buildConfig(
    { addr: '127.0.0.1:0', root: join(work, 'data'), db: dbPath, rescanInterval: '0', denySeverity: 'critical', requireSignature: true },
    { stdout: new PassThrough(), stderr: new PassThrough(), env },
  );
  registry = await startRegistry(config);
  host = new URL(registry.url).host;
  await skopeoCopy(images.debianOci, `docker://${host}/demo/debian:12`, ['--dest-tls-verify=false']);
  await skopeoCopy(images.debianOci, `docker://${host}/demo/unsigned:12`, ['--dest-tls-verify=false']);
  await skopeoCopy(images.tinyOci, `docker://${host}/demo/tiny:1`, ['--dest-tls-verify=false']);
  evilDigest = await pushEvil();
  await registry.scanner!.idle();
  for (const ref of [`${host}/demo/debian:12`, `${host}/demo/tiny:1`]) {
    const signed = await cli(['sign', ref, TLS], env);
    assert.equal(signed.code, 0, signed.stderr);
  }
  const predicate = join(work, 'provenance.json');
  await writeFile(predicate, JSON.stringify({ buildType: 'https://example.com/build', builder: { id: 'ci' } }));
  const attested = await cli(['attest', `${host}/demo/debian:12`, TLS, '--type', 'custom', '--predicate-type', PROVENANCE, '--predicate', predicate], env);
  assert.equal(attested.code, 0, attested.stderr);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await registry?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function open(t: TestContext, path: string): Promise<OpenedPage | undefined> {
  if (!browser) {
    missingPeer(t, `no Chromium at ${CHROMIUM}`);
    return undefined;
  }
  const opened = await openPage(browser, registry.url + path);
  assert.equal(opened.status, 200, path);
  return opened;
}

/** What a pull of `name:reference` gets from the registry API. */
async function pullStatus(name: string, reference: string): Promise<number> {
  const r = await fetch(`${registry.url}/v2/${name}/manifests/${reference}`, { headers: { accept: `${MediaType.OciManifest}, ${MediaType.OciIndex}` } });
  await r.arrayBuffer();
  return r.status;
}

interface TagRow {
  tag: string;
  verdict: string;
  verdictText: string;
  signature: string;
  signatureText: string;
  attestations: string;
  attestationText: string;
  clean: string | null;
}
const TAG_ROWS = `[...document.querySelectorAll('#tags tbody tr[data-tag]')].map((tr) => ({
  tag: tr.dataset.tag,
  verdict: tr.dataset.verdict,
  verdictText: tr.querySelector('td.verdict').textContent,
  signature: tr.querySelector('td.signature [data-signature]').dataset.signature,
  signatureText: tr.querySelector('td.signature [data-signature]').textContent,
  attestations: tr.querySelector('td.attestations [data-attestations]').dataset.attestations,
  attestationText: tr.querySelector('td.attestations').textContent,
  clean: tr.querySelector('td.findings [data-clean]')?.dataset.clean ?? null,
}))`;

test('a signed image shows its signer and "trusted", would be served (as /v2 serves it); its accessory tags sit under it', async (t) => {
  const opened = await open(t, '/ui/r/demo/debian');
  if (!opened) return;
  const { page } = opened;
  const rows = await read<TagRow[]>(page, TAG_ROWS);
  assert.deepEqual(rows.map((r) => r.tag), ['12'], 'sha256-….sig and .att are not tags of their own');
  const [row] = rows;
  assert.equal(row!.verdictText, 'would be served');
  assert.equal(await pullStatus('demo/debian', '12'), 200);
  assert.equal(row!.signature, 'trusted');
  assert.equal(row!.signatureText, `signed by key ${keyId.slice(0, 12)}: trusted`);
  assert.ok(Number(row!.attestations) >= 1);
  assert.match(row!.attestationText, /, newest (just now|\d+ minutes? ago)$/);
  assert.equal(row!.clean, 'true', 'served and clean: green');
  const attached = await read<Array<[string, string]>>(page, `[...document.querySelectorAll('tr.attached li')].map((li) => [li.dataset.kind, li.querySelector('code')?.textContent ?? ''])`);
  const hex = (await read<string>(page, `document.querySelector('#tags tr[data-tag="12"]').dataset.digest`)).slice('sha256:'.length);
  assert.ok(attached.some(([kind, tag]) => kind === 'signature' && tag === `sha256-${hex}.sig`), JSON.stringify(attached));
  assert.ok(attached.some(([kind, tag]) => kind === 'attestation' && tag === `sha256-${hex}.att`), JSON.stringify(attached));
  assert.deepEqual(await opened.problems(), []);
  await screenshot(t, page, 'trust-tags-signed');

  await Promise.all([page.waitForURL(/\/m\/sha256:/), page.click('#tags tr[data-tag="12"] td.digest a')]);
  assert.equal(await read<string>(page, `document.querySelector('#verdict .verdict').textContent`), 'would be served');
  assert.equal(await read<string>(page, `document.querySelector('#trust-summary').dataset.signature`), 'trusted');
  const signatures = await read<Array<{ trusted: string; key: string }>>(page, `[...document.querySelectorAll('#signatures tbody tr')].map((tr) => ({ trusted: tr.dataset.trusted, key: tr.querySelector('code')?.getAttribute('title') ?? '' }))`);
  assert.ok(signatures.length >= 1);
  assert.ok(signatures.every((s) => s.trusted === 'true' && s.key === keyId), JSON.stringify(signatures));
  const attestations = await read<string[]>(page, `[...document.querySelectorAll('#attached tr[data-kind="attestation"] td:nth-child(2)')].map((td) => td.textContent)`);
  assert.ok(attestations.includes(PROVENANCE), JSON.stringify(attestations));
  const pulls = await read<string[]>(page, `[...document.querySelectorAll('#pull pre')].map((p) => p.textContent)`);
  assert.deepEqual(pulls, [`docker pull ${host}/demo/debian:12`, `docker pull ${host}/demo/debian@sha256:${hex}`]);
  const layers = await read<Array<{ size: string; shown: string }>>(page, `[...document.querySelectorAll('#layers tbody tr')].map((tr) => ({ size: tr.dataset.size, shown: tr.querySelector('td.size').textContent }))`);
  assert.ok(layers.length >= 1 && layers.every((l) => Number(l.size) > 1000 && /\d (kB|MB)$/.test(l.shown)), JSON.stringify(layers));
  const packages = Number(await read<string>(page, `document.querySelector('#package-count').textContent`));
  assert.ok(packages > 50, `${packages} packages`);
  assert.ok(await read<boolean>(page, `[...document.querySelectorAll('#packages td.pkg code')].some((c) => c.textContent === 'dpkg')`));
  assert.deepEqual(await opened.problems(), []);
  await screenshot(t, page, 'trust-image-signed');

  // Both SBOMs, from the stored inventory, naming the image as clients pull it.
  const links = await read<Record<string, string>>(page, `Object.fromEntries([...document.querySelectorAll('#sbom a')].map((a) => [a.dataset.format, a.getAttribute('href')]))`);
  const cdx = await fetch(registry.url + links.cyclonedx!);
  assert.equal(cdx.status, 200);
  assert.match(cdx.headers.get('content-type') ?? '', /^application\/vnd\.cyclonedx\+json(;|$)/);
  assert.equal(cdx.headers.get('content-disposition'), `attachment; filename="debian-${hex.slice(0, 12)}.cdx.json"`);
  const bom = (await cdx.json()) as { specVersion: string; metadata: { component: { name: string; version: string } }; components: unknown[] };
  assert.equal(bom.specVersion, '1.6');
  assert.deepEqual([bom.metadata.component.name, bom.metadata.component.version], [`${host}/demo/debian`, `sha256:${hex}`]);
  assert.ok(bom.components.length > packages, 'every package, and the OS');
  const spdx = await fetch(registry.url + links.spdx!);
  assert.match(spdx.headers.get('content-type') ?? '', /^application\/spdx\+json(;|$)/);
  const doc = (await spdx.json()) as { spdxVersion: string; packages: unknown[] };
  assert.equal(doc.spdxVersion, 'SPDX-2.3');
  assert.ok(doc.packages.length > packages);
  await page.close();
});

/** `portcullis_pulls_denied_total`, all reasons. */
async function deniedPulls(): Promise<number> {
  const text = await (await fetch(`${registry.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith('portcullis_pulls_denied_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

test('the same image unsigned in another repository: "refused: unsigned" (as /v2 refuses it), and its clean scan is not green', async (t) => {
  const deniedBefore = await deniedPulls();
  const opened = await open(t, '/ui/r/demo/unsigned');
  if (!opened) return;
  const { page } = opened;
  const [row] = await read<TagRow[]>(page, TAG_ROWS);
  assert.equal(row!.verdictText, 'refused: unsigned');
  assert.equal(await pullStatus('demo/unsigned', '12'), 403);
  assert.equal(row!.signature, 'unsigned');
  assert.equal(row!.clean, 'refused', '"no findings", but not in green');
  assert.equal(await read<string>(page, `getComputedStyle(document.querySelector('td.findings [data-clean]')).color`), 'rgb(113, 128, 150)');
  await screenshot(t, page, 'trust-tags-unsigned');
  await Promise.all([page.waitForURL(/\/m\/sha256:/), page.click('#tags td.digest a')]);
  assert.equal(await read<string>(page, `document.querySelector('#verdict .verdict').textContent`), 'refused: unsigned');
  assert.match(await read<string>(page, `document.querySelector('#verdict-detail').textContent`), /remote trust data does not exist for .*\/demo\/unsigned/);
  assert.equal(await read<string>(page, `document.querySelector('#trust-summary').dataset.signature`), 'unsigned');
  assert.equal(await read<string | null>(page, `document.querySelector('#summary .clean')?.textContent ?? null`), null);
  assert.deepEqual(await opened.problems(), []);
  await screenshot(t, page, 'trust-image-unsigned');

  await page.goto(`${registry.url}/ui/`);
  const repos = await read<Array<[string, string, boolean]>>(page, `[...document.querySelectorAll('#repositories tbody tr')].map((tr) => [tr.dataset.repository, tr.dataset.refused, tr.querySelector('td.findings .clean') !== null])`);
  assert.deepEqual(
    repos.sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    [
      ['demo/debian', '0', true],
      ['demo/evil', '1', false],
      ['demo/tiny', '1', false],
      ['demo/unsigned', '1', false],
    ],
  );
  await screenshot(t, page, 'trust-repositories');
  await page.close();
  assert.equal(await deniedPulls(), deniedBefore + 1, 'showing verdicts is not refusing pulls: only the one /v2 GET above counts');
});

test('a signed image with a CRITICAL finding under --deny-severity CRITICAL shows refused with the CVE, as /v2 refuses it', async (t) => {
  const opened = await open(t, '/ui/r/demo/tiny');
  if (!opened) return;
  const { page } = opened;
  const [row] = await read<TagRow[]>(page, TAG_ROWS);
  assert.equal(row!.verdictText, 'refused: 1 CRITICAL (CVE-2021-44906)');
  assert.equal(row!.signature, 'trusted', 'signed, and still refused for its finding');
  const denied = await fetch(`${registry.url}/v2/demo/tiny/manifests/1`, { headers: { accept: MediaType.OciManifest } });
  assert.equal(denied.status, 403);
  assert.match(((await denied.json()) as { errors: Array<{ message: string }> }).errors[0]!.message, /has 1 CRITICAL vulnerability/);
  await screenshot(t, page, 'trust-tags-critical');
  await Promise.all([page.waitForURL(/\/m\/sha256:/), page.click('#tags td.digest a')]);
  assert.equal(await read<string>(page, `document.querySelector('#verdict .verdict').textContent`), 'refused: 1 CRITICAL (CVE-2021-44906)');
  assert.deepEqual(await read<string[]>(page, `[...document.querySelectorAll('#findings tbody tr[data-severity="CRITICAL"] .vuln-id')].map((e) => e.textContent)`), ['CVE-2021-44906']);
  assert.deepEqual(await opened.problems(), []);
  await screenshot(t, page, 'trust-image-critical');
  await page.close();
});

test('a layer command with markup and control characters is shown as text, the controls made visible', async (t) => {
  const opened = await open(t, `/ui/r/demo/evil/m/${evilDigest}`);
  if (!opened) return;
  const { page } = opened;
  const commands = await read<string[]>(page, `[...document.querySelectorAll('#layers td.created-by')].map((td) => td.textContent)`);
  assert.deepEqual(commands, ['/bin/sh -c #(nop) ADD file:abc in /', EVIL_SHOWN], 'the empty_layer entry is skipped; the second layer pairs with the third history entry');
  assert.deepEqual(
    await read(page, `({ scripts: document.querySelectorAll('script').length, bold: document.querySelectorAll('main b').length, pwned: window.__pwned ?? null })`),
    { scripts: 0, bold: 0, pwned: null },
  );
  assert.equal(await read<string>(page, `document.querySelector('#verdict .verdict').textContent`), 'refused: unsigned');
  assert.deepEqual(await opened.problems(), []);
  await screenshot(t, page, 'trust-image-hostile-layers');
  await page.close();
});
