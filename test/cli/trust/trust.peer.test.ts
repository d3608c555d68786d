/**
 * sign / verify / attest / verify-attestation / pull / copy with content
 * trust, against the real Debian docker-registry and real images, through the
 * CLI in process. Every attack from issue 5 has its own test and message.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sha256Digest, type Digest } from '../../../src/core/digest.js';
import { MediaType } from '../../../src/core/media-types.js';
import { parseManifest } from '../../../src/core/oci.js';
import { cosignTag, SIGNATURE_ANNOTATION } from '../../../src/trust/signatures/index.js';
import type { VerifyReport } from '../../../src/engine/trust/index.js';
import { peerImages, startRegistry, type PeerImages, type RegistryPeer } from '../../support/peers.js';
import { skopeoCopy, skopeoInspect } from '../../support/skopeo.js';
import { cli, client, trustHome } from './helpers.js';

let images: PeerImages;
let registry: RegistryPeer;
let env: NodeJS.ProcessEnv;
let work: string;
let tinyDigest: string;

before(async () => {
  images = await peerImages('tiny');
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'portcullis-trust-work-'));
  env = await trustHome();
  tinyDigest = (await skopeoInspect(images.tinyOci)).Digest;
  const gen = await cli(['key', 'generate'], env);
  assert.equal(gen.code, 0, gen.stderr);
});

after(async () => {
  await registry?.stop();
});

const R = (): string => registry.host;
const TLS = ['--tls-verify=false'];

async function push(repo: string): Promise<string> {
  const ref = `${R()}/${repo}`;
  await skopeoCopy(images.tinyOci, `docker://${ref}`);
  return ref;
}

async function verifyJson(ref: string, extra: string[] = [], e = env): Promise<{ code: number; report: VerifyReport; stderr: string }> {
  const r = await cli(['verify', ref, ...TLS, '--format', 'json', ...extra], e);
  return { code: r.code, report: JSON.parse(r.stdout) as VerifyReport, stderr: r.stderr };
}

async function sign(ref: string, extra: string[] = [], e = env): Promise<void> {
  const r = await cli(['sign', ref, ...TLS, ...extra], e);
  assert.equal(r.code, 0, r.stderr);
}

describe('keys from the CLI', () => {
  test('list and export; passphrases never printed', async () => {
    const list = await cli(['key', 'list', '--format', 'json'], env);
    assert.equal(list.code, 0, list.stderr);
    const keys = JSON.parse(list.stdout) as { role: string; certified: boolean }[];
    assert.deepEqual(keys.map((k) => k.role).sort(), ['repository', 'root']);
    const exported = await cli(['key', 'export'], env);
    assert.match(exported.stdout, /^-----BEGIN PUBLIC KEY-----\n/);
    const root = await cli(['key', 'export', '--root'], env);
    assert.notEqual(root.stdout, exported.stdout);
  });
});

describe('sign → verify round trips', () => {
  test('both layouts are written and each verifies on its own', async () => {
    const ref = await push('rt/both:1');
    await sign(ref);
    const { code, report } = await verifyJson(ref);
    assert.equal(code, 0);
    assert.equal(report.digest, tinyDigest);
    assert.deepEqual(report.signatures.map((s) => `${s.layout}:${s.status}`).sort(), ['bundle:verified', 'tag:verified']);
    assert.ok(report.signatures.every((s) => s.identity === 'match'));
    // the tag layout is cosign's: .sig manifest with a simple-signing layer
    const c = await client(R());
    const sig = parseManifest((await c.getManifest('rt/both', cosignTag(tinyDigest as Digest))).bytes);
    assert.equal(sig.layers[0]?.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
    assert.ok(sig.layers[0]?.annotations?.[SIGNATURE_ANNOTATION]);
    // the bundle is a referrer of the image
    const refs = await c.referrers('rt/both', tinyDigest as Digest);
    assert.equal(refs.length, 1);
    await c.close();

    for (const layout of ['tag', 'bundle']) {
      const only = await push(`rt/${layout}:1`);
      await sign(only, ['--layout', layout]);
      const v = await verifyJson(only);
      assert.equal(v.code, 0, v.stderr);
      assert.deepEqual(v.report.signatures.map((s) => s.layout), [layout]);
    }
  });

  test('TLS registry with --cert-dir', async () => {
    const tls = await startRegistry({ tls: true });
    try {
      const certs = join(work, 'certs');
      await mkdir(certs, { recursive: true });
      await copyFile(tls.ca!, join(certs, 'ca.crt'));
      await skopeoCopy(images.tinyOci, `docker://${tls.host}/tls/app:1`, ['--dest-cert-dir', certs, '--dest-tls-verify=true']);
      const ref = `${tls.host}/tls/app:1`;
      const s = await cli(['sign', ref, '--cert-dir', certs], env);
      assert.equal(s.code, 0, s.stderr);
      const v = await cli(['verify', ref, '--cert-dir', certs], env);
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stdout, /verified/);
    } finally {
      await tls.stop();
    }
  });

  test('several signatures coexist: adding one never drops another', async () => {
    const ref = await push('rt/many:1');
    const other = await trustHome();
    assert.equal((await cli(['key', 'generate'], other)).code, 0);
    await sign(ref);
    await sign(ref, [], other);
    await sign(ref, ['-a', 'build=42']);
    const { report } = await verifyJson(ref);
    assert.equal(report.signatures.filter((s) => s.layout === 'tag').length, 3);
    assert.equal(report.signatures.filter((s) => s.layout === 'bundle').length, 3);
    assert.equal(report.signatures.filter((s) => s.status === 'verified').length, 4);
    assert.equal(report.signatures.filter((s) => s.status === 'unknown-key').length, 2);
  });

  test('--key verifies with a PEM public key (cosign.pub style)', async () => {
    const ref = await push('rt/key:1');
    await sign(ref);
    const pem = join(work, 'repo.pub');
    await writeFile(pem, (await cli(['key', 'export'], env)).stdout);
    const empty = await trustHome();
    const ok = await cli(['verify', ref, ...TLS, '--key', pem], empty);
    assert.equal(ok.code, 0, ok.stderr);
    const other = await trustHome();
    await cli(['key', 'generate'], other);
    const otherPem = join(work, 'other.pub');
    await writeFile(otherPem, (await cli(['key', 'export'], other)).stdout);
    const bad = await cli(['verify', ref, ...TLS, '--key', otherPem], empty);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown key/);
  });
});

describe('attest → verify-attestation', () => {
  test('a vuln attestation verifies, with freshness and condition', async () => {
    const ref = await push('att/app:1');
    const scan = join(work, 'scan.json');
    await writeFile(scan, JSON.stringify({ findings: [{ id: 'CVE-1', severity: 'HIGH', package: 'x' }] }));
    const a = await cli(['attest', ref, ...TLS, '--type', 'vuln', '--predicate', scan], env);
    assert.equal(a.code, 0, a.stderr);
    const v = await cli(['verify-attestation', ref, ...TLS, '--type', 'vuln', '--max-age', '7d', '--condition', 'no CRITICAL finding'], env);
    assert.equal(v.code, 0, v.stderr + v.stdout);
    const strict = await cli(['verify-attestation', ref, ...TLS, '--type', 'vuln', '--condition', 'no HIGH finding'], env);
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /1 finding\(s\) at HIGH or above/);
    const sbom = await cli(['verify-attestation', ref, ...TLS, '--type', 'sbom'], env);
    assert.equal(sbom.code, 1);
    assert.match(sbom.stderr, /no sbom attestation/);
  });

  test('attack: an attestation older than the policy allows', async () => {
    const ref = await push('att/old:1');
    const old = new Date(Date.now() - 10 * 86_400_000).toISOString();
    const predicate = join(work, 'old-vuln.json');
    await writeFile(predicate, JSON.stringify({ invocation: {}, scanner: { uri: 'x', version: '1', result: {} }, metadata: { scanStartedOn: old, scanFinishedOn: old } }));
    assert.equal((await cli(['attest', ref, ...TLS, '--type', 'vuln', '--predicate', predicate], env)).code, 0);
    await sign(ref);
    const v = await cli(['verify-attestation', ref, ...TLS, '--type', 'vuln', '--max-age', '7d'], env);
    assert.equal(v.code, 1);
    assert.match(v.stderr, /older than maxAge 7d/);
    const policy = join(work, 'fresh.yaml');
    await writeFile(policy, `repositories:\n  - match: "${R()}/att/*"\n    attestations:\n      - type: vuln\n        maxAge: 7d\n        condition: no CRITICAL finding\n`);
    const pull = await cli(['pull', ref, `oci:${join(work, 'old-pull')}:1`, ...TLS, '--policy', policy, '-q'], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(pull.code, 8);
    assert.match(pull.stderr, /attestation:vuln requirement not met: .*older than maxAge 7d/);
  });
});

describe('content trust on copy and pull', () => {
  test('an unsigned image is refused with Docker\'s message, before any layer moves', async () => {
    const ref = await push('ct/unsigned:1');
    const dest = join(work, 'unsigned');
    const r = await cli(['pull', ref, `oci:${dest}:1`, ...TLS], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(r.code, 8);
    assert.equal(r.stderr, `portcullis: remote trust data does not exist for ${R()}/ct/unsigned\n`);
    await assert.rejects(readFile(join(dest, 'index.json')));
    const c = await cli(['copy', `docker://${ref}`, `oci:${dest}:1`, ...TLS, '--content-trust'], env);
    assert.equal(c.code, 8);
    const off = await cli(['copy', `docker://${ref}`, `oci:${dest}:1`, ...TLS, '-q', '--disable-content-trust'], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stderr, /WARNING: content trust is DISABLED/);
  });

  test('a signed image is copied by its verified digest', async () => {
    const ref = await push('ct/signed:1');
    await sign(ref);
    const dest = `oci:${join(work, 'signed')}:1`;
    const r = await cli(['pull', ref, dest, ...TLS, '--format', 'json', '-q'], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { digest: string; verifiedDigest: string };
    assert.equal(out.verifiedDigest, tinyDigest);
    assert.equal(out.digest, tinyDigest);
    assert.equal((await skopeoInspect(dest)).Digest, tinyDigest);
  });
});

/** A different manifest for the same layers: the tiny image with one annotation added. */
async function otherImage(repo: string, tag: string): Promise<string> {
  const c = await client(R());
  const m = await c.getManifest(repo, tag);
  const json = JSON.parse(m.bytes.toString()) as Record<string, unknown>;
  json.annotations = { 'org.example/evil': '1' };
  const bytes = Buffer.from(JSON.stringify(json));
  await c.putManifest(repo, tag, { bytes, mediaType: m.mediaType });
  await c.close();
  return sha256Digest(bytes);
}

describe('attacks', () => {
  test('the tag moved to another digest after signing (signature copied along)', async () => {
    const ref = await push('atk/moved:1');
    await sign(ref, ['--layout', 'tag']);
    const moved = await otherImage('atk/moved', '1');
    const c = await client(R());
    const sig = await c.getManifest('atk/moved', cosignTag(tinyDigest as Digest));
    await c.putManifest('atk/moved', cosignTag(moved as Digest), { bytes: sig.bytes, mediaType: sig.mediaType });
    await c.close();
    const { code, report, stderr } = await verifyJson(ref);
    assert.equal(code, 1);
    assert.equal(report.digest, moved);
    assert.equal(report.signatures[0]?.status, 'wrong-digest');
    assert.match(stderr, /the tag was moved after signing/);
    const pull = await cli(['pull', ref, `oci:${join(work, 'moved')}:1`, ...TLS], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(pull.code, 8);
    assert.match(pull.stderr, /the tag was moved after signing/);
  });

  test('a modified payload', async () => {
    const ref = await push('atk/payload:1');
    await sign(ref, ['--layout', 'tag']);
    const c = await client(R());
    const tag = cosignTag(tinyDigest as Digest);
    const sig = parseManifest((await c.getManifest('atk/payload', tag)).bytes);
    const layer = sig.layers[0]!;
    const payload = Buffer.from((await c.getBlob('atk/payload', layer).then(async (s) => Buffer.concat(await s.toArray()))) as Buffer);
    const evil = Buffer.from(payload.toString().replace('"optional":null', '"optional":{"approved":"yes"}'));
    const digest = sha256Digest(evil);
    await c.putBlob('atk/payload', { digest, size: evil.length }, evil);
    const manifest = JSON.parse((await c.getManifest('atk/payload', tag)).bytes.toString()) as { layers: Record<string, unknown>[] };
    manifest.layers[0] = { ...manifest.layers[0], digest, size: evil.length };
    await c.putManifest('atk/payload', tag, { bytes: Buffer.from(JSON.stringify(manifest)), mediaType: MediaType.OciManifest });
    await c.close();
    const { code, report, stderr } = await verifyJson(ref);
    assert.equal(code, 1);
    assert.equal(report.signatures[0]?.status, 'invalid-signature');
    assert.match(stderr, /the payload or the signature was modified/);
    const copy = await cli(['copy', `docker://${ref}`, `oci:${join(work, 'tampered')}:1`, ...TLS], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(copy.code, 8);
    assert.match(copy.stderr, /content trust refused .*the payload or the signature was modified/);
  });

  test('a signature by an unknown key', async () => {
    const ref = await push('atk/unknown:1');
    const stranger = await trustHome();
    await cli(['key', 'generate'], stranger);
    await sign(ref, [], stranger);
    const { code, report, stderr } = await verifyJson(ref);
    assert.equal(code, 1);
    assert.ok(report.signatures.every((s) => s.status === 'unknown-key'));
    assert.match(stderr, /signed by an unknown key/);
  });

  test('a repository key not certified by the root for that repository', async () => {
    const home = await trustHome();
    await cli(['key', 'generate', '--repositories', `${R()}/team/*`], home);
    const ref = await push('elsewhere/app:1');
    await sign(ref, [], home);
    const { code, report, stderr } = await verifyJson(ref, [], home);
    assert.equal(code, 1);
    assert.equal(report.signatures[0]?.status, 'untrusted-key');
    assert.match(stderr, /is not certified by the root key for/);
    const inTeam = await push('team/app:1');
    await sign(inTeam, [], home);
    assert.equal((await verifyJson(inTeam, [], home)).code, 0);
  });

  test('a signature whose docker-reference names another repository: reported, refused with matchRepository', async () => {
    const ref = await push('id/original:1');
    await sign(ref, ['--layout', 'tag']);
    const mirror = await push('id/mirror:1');
    const c = await client(R());
    const sig = await c.getManifest('id/original', cosignTag(tinyDigest as Digest));
    const layers = parseManifest(sig.bytes);
    for (const d of [layers.config, ...layers.layers]) {
      if (!(await c.headBlob('id/mirror', d.digest))) await c.mountBlob('id/mirror', d.digest, 'id/original');
    }
    await c.putManifest('id/mirror', cosignTag(tinyDigest as Digest), { bytes: sig.bytes, mediaType: sig.mediaType });
    await c.close();
    const plain = await verifyJson(mirror);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.report.signatures[0]?.identity, 'mismatch');
    assert.equal(plain.report.signatures[0]?.signedIdentity, `${R()}/id/original`);
    const policy = join(work, 'identity.yaml');
    await writeFile(policy, `version: 1\nrepositories:\n  - match: "${R()}/id/*"\n    signedIdentity: matchRepository\n    action: reject\n`);
    const strict = await verifyJson(mirror, ['--policy', policy]);
    assert.equal(strict.code, 1);
    assert.equal(strict.report.policy.unmet, 'signedIdentity');
    assert.match(strict.stderr, /names "127\.0\.0\.1:\d+\/id\/original", not .*id\/mirror/);
  });

  test('a revoked key', async () => {
    const home = await trustHome();
    await cli(['key', 'generate'], home);
    const ref = await push('atk/revoked:1');
    await sign(ref, [], home);
    assert.equal((await verifyJson(ref, [], home)).code, 0);
    const id = (JSON.parse((await cli(['key', 'list', '--format', 'json'], home)).stdout) as { id: string; role: string }[]).find((k) => k.role === 'repository')!.id;
    const rv = await cli(['key', 'revoke', id], home);
    assert.equal(rv.code, 0, rv.stderr);
    const { code, report, stderr } = await verifyJson(ref, [], home);
    assert.equal(code, 1);
    assert.ok(report.signatures.every((s) => s.status === 'untrusted-key' && s.keyReason === 'revoked'));
    assert.match(stderr, /is revoked/);
  });

  test('a deleted signature', async () => {
    const ref = await push('atk/deleted:1');
    await sign(ref, ['--layout', 'tag']);
    assert.equal((await verifyJson(ref)).code, 0);
    const c = await client(R());
    const sig = await c.getManifest('atk/deleted', cosignTag(tinyDigest as Digest));
    await c.deleteManifest('atk/deleted', sig.digest);
    await c.close();
    const { code, stderr } = await verifyJson(ref);
    assert.equal(code, 1);
    assert.match(stderr, /no signature found/);
    const pull = await cli(['pull', ref, `oci:${join(work, 'deleted')}:1`, ...TLS], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(pull.code, 8);
    assert.equal(pull.stderr, `portcullis: remote trust data does not exist for ${R()}/atk/deleted\n`);
  });

  test('a signature manifest pointing at a blob whose digest does not match', async () => {
    const ref = await push('atk/blob:1');
    await sign(ref, ['--layout', 'tag']);
    const c = await client(R());
    const sig = parseManifest((await c.getManifest('atk/blob', cosignTag(tinyDigest as Digest))).bytes);
    await c.close();
    const hex = sig.layers[0]!.digest.slice(7);
    const data = join(registry.data, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const original = await readFile(data);
    await writeFile(data, Buffer.from(original.toString().replace('"optional":null', '"optional":{"x":"y"}').slice(0, original.length)));
    const { code, report, stderr } = await verifyJson(ref);
    assert.equal(code, 1);
    assert.equal(report.signatures[0]?.status, 'unreadable');
    assert.match(stderr, /does not match its digest in the signature manifest/);
  });
});

describe('policy actions from the CLI', () => {
  test('warn lets an unsigned image through with a warning; allow skips checks', async () => {
    const ref = await push('pol/app:1');
    const warn = join(work, 'warn.yaml');
    await writeFile(warn, `repositories:\n  - match: "${R()}/pol/*"\n    action: warn\n`);
    const r = await cli(['pull', ref, `oci:${join(work, 'warned')}:1`, ...TLS, '--policy', warn, '-q'], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: .*signature/);
    const allow = join(work, 'allow.yaml');
    await writeFile(allow, `repositories:\n  - match: "${R()}/pol/*"\n    action: allow\n`);
    const a = await cli(['pull', ref, `oci:${join(work, 'allowed')}:1`, ...TLS, '--policy', allow, '-q'], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(a.code, 0, a.stderr);
    const bad = join(work, 'bad.yaml');
    await writeFile(bad, 'repositories:\n  - match: "a/b"\n    treshold: 2\n');
    const b = await cli(['verify', ref, ...TLS, '--policy', bad], env);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /bad\.yaml:3: unknown key "treshold"/);
  });
});
