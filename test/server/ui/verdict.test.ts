/**
 * The UI words the pull policy's decisions and never makes its own: driven
 * with `inject` over the fixture store and a PullPolicy double that records
 * what it is asked. An index whose platform images are partly refused is
 * "partly refused", never served; a refused clean image's "no findings" is
 * not green; without a policy everything "would be served". The signature
 * cell shows the signature check's findings (trusted or not for the
 * repository). Accessory tags are grouped under their image, or under
 * "Accessories of untagged images" when their image has no tag.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import type { Digest } from '../../../src/core/digest.js';
import { MediaType } from '../../../src/core/media-types.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import type { ManifestRecord } from '../../../src/server/metadata/store.js';
import type { PolicyDecision, PullPolicy } from '../../../src/server/services.js';
import type { SignatureSummary, SignatureView } from '../../../src/server/signature-check.js';
import { uiPlugin, type UiDependencies } from '../../../src/server/ui/plugin.js';
import { d, DEBIAN, DIGESTS, seed } from './fixtures.js';

let work: string;
let store: SqliteMetadataStore;
const hex = (digest: Digest): string => digest.slice('sha256:'.length);
const ORPHAN = d('9e');

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-ui-verdict-'));
  store = new SqliteMetadataStore(join(work, 'metadata.db'));
  await seed(store);
  const artifact = (digest: Digest, subject: Digest | undefined, pushedAt: string): ManifestRecord => ({
    repository: DEBIAN,
    digest,
    mediaType: MediaType.OciManifest,
    size: 300,
    artifactType: 'application/vnd.oci.image.config.v1+json',
    ...(subject ? { subject } : {}),
    references: [],
    pushedAt,
  });
  await store.putManifest(artifact(d('5a'), undefined, '2024-03-02T00:00:00.000Z'), `sha256-${hex(DIGESTS.debian12)}.sig`);
  await store.putManifest(artifact(d('5b'), undefined, '2024-03-03T00:00:00.000Z'), `sha256-${hex(DIGESTS.debian12)}.att`);
  await store.putManifest(artifact(d('5c'), undefined, '2024-03-03T00:00:00.000Z'), `sha256-${hex(ORPHAN)}.sig`);
});

after(async () => {
  await store.close();
  rmSync(work, { recursive: true, force: true });
});

/** The markup of one tag row. */
function row(html: string, tag: string): string {
  const found = new RegExp(`<tr data-tag="${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[\\s\\S]*?</tr>`).exec(html);
  assert.ok(found, `no row for ${tag}`);
  return found[0];
}

async function tagsPage(deps: Partial<UiDependencies>): Promise<string> {
  const app = Fastify();
  await app.register(uiPlugin({ metadata: store, ...deps }));
  const response = await app.inject({ method: 'GET', url: `/ui/r/${DEBIAN}` });
  await app.close();
  assert.equal(response.statusCode, 200);
  return response.body;
}

test('verdicts are the policy\'s: served, refused with its summary, an index partly refused; refused clean images are not green', async () => {
  const asked: string[] = [];
  const refusals = new Map<Digest, PolicyDecision>([
    [DIGESTS.arm64, { allowed: false, reason: 'image has 1 CRITICAL vulnerability (policy: deny CRITICAL and above)', summary: '1 CRITICAL (CVE-2023-38545)', kind: 'vulnerable' }],
    [DIGESTS.clean, { allowed: false, reason: 'remote trust data does not exist for registry/library/debian', summary: 'unsigned', kind: 'unsigned' }],
  ]);
  const policy: PullPolicy = {
    async check(record) {
      asked.push(record.digest);
      return refusals.get(record.digest) ?? { allowed: true };
    },
  };
  const html = await tagsPage({ policy });
  assert.match(row(html, 'latest'), /data-verdict="served">would be served</);
  assert.match(row(html, 'multi'), /data-verdict="refused" title="image has 1 CRITICAL vulnerability[^"]*">partly refused: 1 of 2 platform images \(1 CRITICAL \(CVE-2023-38545\)\)</);
  const clean = row(html, 'clean');
  assert.match(clean, /refused: unsigned/);
  assert.match(clean, /<span class="none" data-clean="refused">no findings<\/span>/);
  assert.doesNotMatch(clean, /class="clean"/);
  assert.ok(asked.includes(DIGESTS.arm64) && asked.includes(DIGESTS.slim), 'the index\'s platform images were asked about');
  assert.match(html, /8 tags, 2 refused by the pull policy, and 3 accessory tags shown under their images/);

  const open = await tagsPage({});
  assert.doesNotMatch(open, /refused/);
  assert.match(row(open, 'clean'), /<span class="clean" data-clean="true">no findings<\/span>/);
});

test('accessory tags sit under their image (or, without a tagged image, under its digest), never as tags', async () => {
  const html = await tagsPage({});
  assert.doesNotMatch(html, /<tr data-tag="sha256-/);
  const attached = /<tr class="attached" data-attached-to="latest">[\s\S]*?<\/tr>/.exec(html)?.[0] ?? '';
  assert.match(attached, new RegExp(`<li data-kind="signature" data-digest="${d('5a')}"><code>sha256-${hex(DIGESTS.debian12)}\\.sig</code>`));
  assert.match(attached, new RegExp(`<li data-kind="attestation" data-digest="${d('5b')}"><code>sha256-${hex(DIGESTS.debian12)}\\.att</code>`));
  assert.match(attached, /data-kind="signature" data-digest="sha256:b8b8/, 'the referrer with a subject too');
  assert.match(row(html, 'latest'), /data-attestations="1">1, newest <time datetime="2024-03-03T00:00:00.000Z"/);
  const orphans = /<table id="orphan-accessories">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  assert.match(orphans, new RegExp(`data-subject="${ORPHAN}"[\\s\\S]*<code data-tag="sha256-${hex(ORPHAN)}\\.sig">`));
});

test('the signature cell is the signature check\'s finding: by which key, trusted for this repository or not', async () => {
  const summary = (trusted: boolean): SignatureSummary => ({
    verified: trusted,
    unsigned: false,
    signatures: [{ layout: 'tag', status: trusted ? 'verified' : 'untrusted-key', message: 'm', keyId: 'abcdef0123456789', keySource: 'store', trusted }],
    entry: 'default',
    checkedAt: '2026-01-01T00:00:00.000Z',
  });
  const signatures: SignatureView = {
    async describe(_repository, digest) {
      if (digest === DIGESTS.debian12) return summary(true);
      if (digest === DIGESTS.slim) return summary(false);
      if (digest === DIGESTS.clean) return { verified: false, unsigned: true, signatures: [], entry: 'default', checkedAt: '2026-01-01T00:00:00.000Z' };
      throw new Error('loopback down');
    },
  };
  const html = await tagsPage({ signatures });
  assert.match(row(html, 'latest'), /data-signature="trusted">signed by key abcdef012345: trusted</);
  assert.match(row(html, '12-slim'), /data-signature="untrusted">signed by key abcdef012345: not trusted for this repository</);
  assert.match(row(html, 'clean'), /data-signature="unsigned">unsigned</);
  assert.match(row(html, 'broken'), /data-signature="error" title="loopback down">signature check failed</);
  const unchecked = await tagsPage({});
  assert.match(row(unchecked, 'latest'), /data-signature="unchecked">2 attached, not checked</);
  assert.match(row(unchecked, 'clean'), /data-signature="none">no signature/);
});
