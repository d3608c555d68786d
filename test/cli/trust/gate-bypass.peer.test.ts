/**
 * Ways around the content-trust gate of `copy`/`pull`, tried as a hostile
 * publisher (or a careless invocation) would, against the real Debian
 * docker-registry: an image name spelled so that the policy entry does not
 * match it, a PORTCULLIS_CONTENT_TRUST value that is not `1`, and an index
 * whose children are copied with `--all` or `--platform`. Each refusal is
 * exit 8 (TRUST_REFUSED) with one line on stderr and nothing written.
 */
import assert from 'node:assert/strict';
import { access, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sha256Digest } from '../../../src/core/digest.js';
import { MediaType } from '../../../src/core/media-types.js';
import { MAX_BUNDLE_REFERRERS } from '../../../src/engine/trust/registry.js';
import { BUNDLE_MEDIA_TYPE } from '../../../src/trust/signatures/index.js';
import { peerImages, startRegistry, type PeerImages, type RegistryPeer } from '../../support/peers.js';
import { skopeoCopy, skopeoRaw } from '../../support/skopeo.js';
import { cli, client, trustHome } from './helpers.js';

let images: PeerImages;
let registry: RegistryPeer;
let env: NodeJS.ProcessEnv;
let work: string;
const TLS = ['--tls-verify=false'];

before(async () => {
  images = await peerImages('tiny');
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'portcullis-gate-bypass-'));
  env = await trustHome();
  const gen = await cli(['key', 'generate'], env);
  assert.equal(gen.code, 0, gen.stderr);
});

after(async () => {
  await registry?.stop();
});

async function absent(path: string): Promise<void> {
  await assert.rejects(access(path), (e: NodeJS.ErrnoException) => e.code === 'ENOENT', `${path} was written`);
}

describe('content trust cannot be sidestepped', () => {
  test('a registry host spelled in capitals still meets the policy entry for it (it was copied unchecked)', async () => {
    await skopeoCopy(images.tinyOci, `docker://${registry.host}/team/app:1`);
    const host = `localhost:${registry.port}`;
    const policy = join(work, 'team.yaml');
    await writeFile(policy, `version: 1\nrepositories:\n  - match: ${host}/team/**\n    keys: [root-certified]\n  - match: "**"\n    action: allow\n`);
    for (const spelled of [host, host.toUpperCase(), `LocalHost:${registry.port}`]) {
      const dest = join(work, `case-${spelled.replace(/:/g, '-')}`);
      const r = await cli(['copy', `docker://${spelled}/team/app:1`, `oci:${dest}:1`, ...TLS, '--policy', policy], env);
      assert.equal(r.code, 8, `${spelled}: ${r.stderr}`);
      assert.equal(r.stderr, `portcullis: remote trust data does not exist for ${spelled}/team/app\n`);
      await absent(dest);
    }
  });

  test('copy from a bare registry name (no docker://) is checked as docker:// is (it was copied unchecked)', async () => {
    const ref = `${registry.host}/bare/unsigned:1`;
    await skopeoCopy(images.tinyOci, `docker://${ref}`);
    const dest = join(work, 'bare-unsigned');
    const r = await cli(['copy', ref, `oci:${dest}:1`, ...TLS], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(r.code, 8, r.stderr);
    assert.equal(r.stderr, `portcullis: remote trust data does not exist for ${registry.host}/bare/unsigned\n`);
    await absent(dest);
    const policy = join(work, 'bare.yaml');
    await writeFile(policy, `version: 1\nrepositories:\n  - match: ${registry.host}/bare/**\n`);
    const byPolicy = await cli(['copy', ref, `oci:${dest}:1`, ...TLS, '--policy', policy], env);
    assert.equal(byPolicy.code, 8, byPolicy.stderr);
    await absent(dest);
    // Signed, the bare name copies the verified digest.
    const signed = `${registry.host}/bare/signed:1`;
    await skopeoCopy(images.tinyOci, `docker://${signed}`);
    assert.equal((await cli(['sign', signed, ...TLS], env)).code, 0);
    const ok = await cli(['copy', signed, `oci:${join(work, 'bare-signed')}:1`, ...TLS, '--format', 'json', '-q'], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(ok.code, 0, ok.stderr);
    const out = JSON.parse(ok.stdout) as { digest: string; verifiedDigest: string };
    assert.equal(out.verifiedDigest, out.digest);
  });

  test('PORTCULLIS_CONTENT_TRUST: every value but empty, 0, false, no, off turns it on', async () => {
    const ref = `${registry.host}/env/unsigned:1`;
    await skopeoCopy(images.tinyOci, `docker://${ref}`);
    for (const value of ['1', '2', 'enabled', ' TRUE ', 'y']) {
      const dest = join(work, `env-on-${value.trim()}`);
      const r = await cli(['pull', ref, `oci:${dest}:1`, ...TLS], { ...env, PORTCULLIS_CONTENT_TRUST: value });
      assert.equal(r.code, 8, `${JSON.stringify(value)}: ${r.stderr}`);
      assert.equal(r.stderr, `portcullis: remote trust data does not exist for ${registry.host}/env/unsigned\n`);
      await absent(dest);
    }
    for (const value of ['', '0', 'false', 'No', ' off ']) {
      const r = await cli(['pull', ref, `oci:${join(work, `env-off-${value.trim()}`)}:1`, ...TLS, '-q'], { ...env, PORTCULLIS_CONTENT_TRUST: value });
      assert.equal(r.code, 0, `${JSON.stringify(value)}: ${r.stderr}`);
    }
  });
});

describe('an index under content trust', () => {
  let indexRef: string;
  let amd64: string;
  let arm64: string;

  before(async () => {
    const repo = 'idx/app';
    await skopeoCopy(images.tinyOci, `docker://${registry.host}/${repo}:amd64`);
    const c = await client(registry.host);
    try {
      const tiny = await c.getManifest(repo, 'amd64');
      const json = JSON.parse(tiny.bytes.toString()) as Record<string, unknown>;
      json.annotations = { 'org.example/variant': 'arm64' };
      const other = Buffer.from(JSON.stringify(json));
      await c.putManifest(repo, 'arm64', { bytes: other, mediaType: tiny.mediaType });
      amd64 = tiny.digest;
      arm64 = sha256Digest(other);
      const index = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [
          { mediaType: tiny.mediaType, digest: amd64, size: tiny.bytes.length, platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: tiny.mediaType, digest: arm64, size: other.length, platform: { os: 'linux', architecture: 'arm64' } },
        ],
      }));
      await c.putManifest(repo, 'multi', { bytes: index, mediaType: MediaType.OciIndex });
    } finally {
      await c.close();
    }
    indexRef = `${registry.host}/${repo}:multi`;
  });

  test('a signature on one child does not let its unsigned index through, with --all or --platform', async () => {
    const s = await cli(['sign', `${registry.host}/idx/app@${amd64}`, ...TLS], env);
    assert.equal(s.code, 0, s.stderr);
    for (const flags of [['--all'], ['--platform', 'linux/amd64'], ['--platform', 'linux/arm64']]) {
      const dest = join(work, `idx-unsigned-${flags.join('')}`.replace(/\//g, '-'));
      const r = await cli(['pull', indexRef, `oci:${dest}:1`, ...TLS, ...flags], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
      assert.equal(r.code, 8, r.stderr);
      assert.equal(r.stderr, `portcullis: remote trust data does not exist for ${registry.host}/idx/app\n`);
      await absent(dest);
    }
  });

  test('the signed index covers every child it lists; a child it lists is no signed image by digest', async () => {
    const s = await cli(['sign', indexRef, ...TLS], env);
    assert.equal(s.code, 0, s.stderr);
    const all = join(work, 'idx-all');
    const r = await cli(['pull', indexRef, `oci:${all}:1`, ...TLS, '--all', '-q'], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(await skopeoRaw(`oci:${all}:1`)) as { manifests: unknown[] }).manifests.length, 2);
    const one = join(work, 'idx-arm64');
    const p = await cli(['pull', indexRef, `oci:${one}:1`, ...TLS, '--platform', 'linux/arm64', '--format', 'json', '-q'], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(p.code, 0, p.stderr);
    assert.equal((JSON.parse(p.stdout) as { digest: string }).digest, arm64);
    const byDigest = join(work, 'idx-child');
    const d = await cli(['pull', `${registry.host}/idx/app@${arm64}`, `oci:${byDigest}:1`, ...TLS], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(d.code, 8, d.stderr);
    await absent(byDigest);
  });
});

describe('a flood of bundle referrers', () => {
  test(`more than ${MAX_BUNDLE_REFERRERS} are refused without reading them, even beside a valid cosign signature`, async () => {
    const repo = 'flood/app';
    const ref = `${registry.host}/${repo}:1`;
    await skopeoCopy(images.tinyOci, `docker://${ref}`);
    const s = await cli(['sign', ref, ...TLS, '--layout', 'tag'], env);
    assert.equal(s.code, 0, s.stderr);
    const c = await client(registry.host);
    let digest: string;
    try {
      digest = (await c.getManifest(repo, '1')).digest;
      const empty = Buffer.from('{}');
      const blob = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256Digest(empty), size: empty.length };
      await c.putBlob(repo, blob, empty);
      const manifests = [];
      for (let i = 0; i <= MAX_BUNDLE_REFERRERS; i++) {
        const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: BUNDLE_MEDIA_TYPE, config: blob, layers: [blob], annotations: { n: String(i) } }));
        const d = sha256Digest(bytes);
        await c.putManifest(repo, d, { bytes, mediaType: MediaType.OciManifest });
        manifests.push({ mediaType: MediaType.OciManifest, digest: d, size: bytes.length, artifactType: BUNDLE_MEDIA_TYPE });
      }
      // distribution 2.8 has no referrers API: the tag-schema fallback index lists them.
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
      await c.putManifest(repo, digest.replace(':', '-'), { bytes: index, mediaType: MediaType.OciIndex });
    } finally {
      await c.close();
    }
    const dest = join(work, 'flood');
    const r = await cli(['pull', ref, `oci:${dest}:1`, ...TLS], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(r.code, 8, r.stderr);
    assert.equal(r.stderr, `portcullis: ${registry.host}/${repo}@${digest} has more than ${MAX_BUNDLE_REFERRERS} Sigstore bundle referrers: not reading them\n`);
    await absent(dest);
  });
});
