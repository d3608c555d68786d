/**
 * Pinned Notary keys (`notary.rootKeys`, `notary.signers`): parsing, and
 * the pins held against real TUF repositories built with our own keys (root
 * keys are x509 certificates, as `notary init` makes them, made in process) by both the CLI's
 * finding (engine/trust/notary-source.ts `findingFor`) and the registry's
 * (server/content-trust.ts `pinContentTrust`). Proves: a root or signer
 * outside the pins is `untrusted`, naming the ids found and pinned; both the
 * listed (certificate) id and notary's canonical id pin; a forged signature
 * entry naming the pinned key beside a valid one by another key does not
 * pass; an untrusted finding never meets the signature requirement and
 * refuses under `authoritative`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findingFor } from '../../../src/engine/trust/notary-source.js';
import { contentTrustDecision, pinContentTrust } from '../../../src/server/content-trust.js';
import { DEFAULT_NOTARY_RULE, PolicyError, decide, evaluate, parsePolicy, type NotaryRule } from '../../../src/trust/policy/index.js';
import { buildSnapshot, buildTimestamp, canonicalKeyId, generateSigningKey, rootCertificateKey, verifyRepository, type SigningKey, type VerifiedRepository } from '../../../src/trust/tuf/index.js';
import { buildRepo, type Repo } from '../tuf/fixtures.js';

const GUN = 'registry.example/team/app';
const HEX = 'a'.repeat(64);
const DIGEST = `sha256:${HEX}` as const;
const rule = (over: Partial<NotaryRule>): NotaryRule => ({ ...DEFAULT_NOTARY_RULE, ...over });

function rejects(text: string, pattern: RegExp): void {
  assert.throws(() => parsePolicy(text, 'p.yaml'), (e: unknown) => e instanceof PolicyError && pattern.test(e.message));
}

describe('parsing notary.rootKeys and notary.signers', () => {
  test('full ids parse, case folded, duplicates dropped; absent means none', () => {
    const upper = 'AB'.repeat(32);
    const p = parsePolicy(`repositories:\n  - match: a/b\n    notary:\n      rootKeys: [${upper}, ${'ab'.repeat(32)}]\n      signers: ${'cd'.repeat(32)}\n`);
    assert.deepEqual(p.entries[0]?.notary, { authoritative: false, roles: [], rootKeys: ['ab'.repeat(32)], signers: ['cd'.repeat(32)] });
  });
  test('a prefix, a non-hex id, an empty list and an unknown key are refused with the line', () => {
    rejects('repositories:\n  - match: a/b\n    notary:\n      rootKeys: [abcdef012345]\n', /^p\.yaml:4: "rootKeys" entries are full Notary key ids \(64 hex digits.*not "abcdef012345"$/);
    rejects(`repositories:\n  - match: a/b\n    notary:\n      signers: [${'z'.repeat(64)}]\n`, /^p\.yaml:4: "signers" entries are full Notary key ids/);
    rejects('repositories:\n  - match: a/b\n    notary:\n      signers: []\n', /^p\.yaml:4: "signers" must be a non-empty list of Notary key ids$/);
    rejects('repositories:\n  - match: a/b\n    notary:\n      rootKey: x\n', /unknown key "rootKey" in "notary" \(allowed: authoritative, roles, rootKeys, signers\)/);
  });
});

/** Verified data for a GUN whose root is `root` (signing with `rootSigners`), targets signing `latest`, and a releases delegation signed by `releases`. */
function repository(root: SigningKey, options: { rootListed?: SigningKey[]; rootSigners?: SigningKey[]; releases?: SigningKey } = {}): { repo: Repo; verified: VerifiedRepository } {
  const repo = buildRepo({
    gun: GUN,
    rootKeys: options.rootListed ?? [root],
    rootSigners: options.rootSigners ?? [root],
    targets: { latest: { sha256: HEX, length: 10 } },
    ...(options.releases ? { delegations: [{ name: 'targets/releases', keys: [options.releases], paths: [''], targets: { rel: { sha256: HEX, length: 10 } } }] } : {}),
  });
  return { repo, verified: verifyRepository(repo, { gun: GUN, now: new Date() }) };
}

/** A root key as `notary init` makes it: an x509 certificate (CN = GUN) over an ECDSA key, made in process (trust/tuf/certificate.ts). */
const certKey = (gun: string): SigningKey => rootCertificateKey(generateSigningKey('ecdsa').privateKey, gun, new Date());
const pinnedRoot = certKey(GUN);
const otherRoot = certKey(GUN);
const releasesKey = generateSigningKey('ecdsa');
const strangerKey = generateSigningKey('ecdsa');
const pinned = repository(pinnedRoot, { releases: releasesKey });
const other = repository(otherRoot, { releases: strangerKey });
const ref = { registry: 'registry.example', repository: 'team/app', tag: 'latest' };

describe('the pins against verified repositories (CLI finding)', () => {
  test('certificate id and canonical id both pin the root; the ids differ for an x509 root', () => {
    const canonical = canonicalKeyId(pinnedRoot.public);
    assert.notEqual(canonical, pinnedRoot.public.id);
    for (const id of [pinnedRoot.public.id, canonical]) {
      const f = findingFor(pinned.verified, GUN, ref, rule({ rootKeys: [id] }));
      assert.equal(f.kind, 'signed', JSON.stringify(f));
      if (f.kind === 'signed') assert.deepEqual(f.rootKeys, [{ keyId: pinnedRoot.public.id, canonicalId: canonical }]);
    }
  });

  test('a GUN initialised with another root is untrusted, naming its root key and the pinned ones', () => {
    const f = findingFor(other.verified, GUN, ref, rule({ rootKeys: [pinnedRoot.public.id] }));
    assert.equal(f.kind, 'untrusted');
    if (f.kind !== 'untrusted') return;
    assert.equal(
      f.detail,
      `the Notary root of ${GUN} is signed by root key ${otherRoot.public.id} (canonical ${canonicalKeyId(otherRoot.public)}), not by a pinned one (notary.rootKeys: ${pinnedRoot.public.id})`,
    );
  });

  test('a forged signature entry naming the pinned root key beside a valid one by another key does not pass', () => {
    const built = repository(otherRoot, { rootListed: [otherRoot, pinnedRoot], rootSigners: [otherRoot] });
    const root = JSON.parse(built.repo.root.toString('utf8')) as { signatures: Array<{ keyid: string; method: string; sig: string }> };
    root.signatures.push({ keyid: pinnedRoot.public.id, method: 'ecdsa', sig: Buffer.alloc(64, 7).toString('base64') });
    const forgedRoot = Buffer.from(JSON.stringify(root));
    const files = new Map<string, Uint8Array>([['root', forgedRoot], ['targets', built.repo.targets]]);
    const snapshot = buildSnapshot({ files, version: 2, expires: new Date(Date.now() + 86400_000), key: built.repo.keys.snapshot });
    const timestamp = buildTimestamp({ snapshot, version: 2, expires: new Date(Date.now() + 86400_000), key: built.repo.keys.timestamp });
    const verified = verifyRepository({ ...built.repo, root: forgedRoot, snapshot, timestamp }, { gun: GUN, now: new Date() });
    const f = findingFor(verified, GUN, ref, rule({ rootKeys: [pinnedRoot.public.id] }));
    assert.equal(f.kind, 'untrusted', 'the threshold is met by the other key alone; the forged entry must not count');
  });

  test('signers: a target signed by an unlisted delegation key is untrusted; by the pinned one, signed', () => {
    const byRelease = { ...ref, tag: 'rel' };
    const ok = findingFor(pinned.verified, GUN, byRelease, rule({ signers: [releasesKey.public.id] }));
    assert.equal(ok.kind, 'signed');
    if (ok.kind === 'signed') assert.deepEqual(ok.keyIds, [releasesKey.public.id]);
    const refused = findingFor(other.verified, GUN, byRelease, rule({ signers: [releasesKey.public.id] }));
    assert.equal(refused.kind, 'untrusted');
    if (refused.kind === 'untrusted') assert.equal(refused.detail, `targets/releases of ${GUN} is signed by key ${strangerKey.public.id}, not by a pinned signer (notary.signers: ${releasesKey.public.id})`);
    // By digest: only the targets role signs `latest` with a key not pinned; releases signs `rel` (same digest) with the pinned key.
    assert.equal(findingFor(pinned.verified, GUN, { registry: ref.registry, repository: ref.repository, digest: DIGEST }, rule({ signers: [releasesKey.public.id] })).kind, 'signed');
  });
});

describe('the pins on the registry (content-trust decision)', () => {
  const evidence = (v: VerifiedRepository) => ({ state: 'verified' as const, repository: v });
  test('pinned root passes; another root is untrusted; unpinned rules change nothing', () => {
    const signed = contentTrustDecision({ gun: GUN, digest: DIGEST, size: 10, tag: 'latest', evidence: evidence(pinned.verified) });
    assert.equal(signed.outcome, 'signed');
    assert.equal(pinContentTrust(signed, rule({ rootKeys: [canonicalKeyId(pinnedRoot.public)] }), GUN)?.outcome, 'signed');
    const foreign = contentTrustDecision({ gun: GUN, digest: DIGEST, size: 10, tag: 'latest', evidence: evidence(other.verified) });
    assert.equal(pinContentTrust(foreign, undefined, GUN), foreign);
    const refused = pinContentTrust(foreign, rule({ rootKeys: [pinnedRoot.public.id] }), GUN);
    assert.equal(refused?.outcome, 'untrusted');
    assert.match(refused?.message ?? '', new RegExp(`signed by root key ${otherRoot.public.id} .*notary\\.rootKeys: ${pinnedRoot.public.id}\\)$`));
  });
  test('signers pinned: the releases key passes, a stranger key is untrusted', () => {
    const rel = (v: VerifiedRepository) => contentTrustDecision({ gun: GUN, digest: DIGEST, size: 10, tag: 'rel', evidence: evidence(v) });
    assert.equal(pinContentTrust(rel(pinned.verified), rule({ signers: [releasesKey.public.id] }), GUN)?.outcome, 'signed');
    assert.match(pinContentTrust(rel(other.verified), rule({ signers: [releasesKey.public.id] }), GUN)?.message ?? '', new RegExp(`signed by key ${strangerKey.public.id}, not by a pinned signer`));
  });
});

describe('an untrusted finding in the decision', () => {
  const untrusted = { kind: 'untrusted' as const, gun: GUN, tag: 'latest', detail: 'the Notary root of x is signed by root key k, not by a pinned one (notary.rootKeys: p)', rootKeys: [] };
  const decision = (authoritative: boolean) => {
    const policy = parsePolicy(`repositories:\n  - match: ${GUN}\n${authoritative ? '    notary: {authoritative: true}\n' : ''}`, 'p.yaml');
    const result = evaluate(policy, { repository: GUN, digest: DIGEST, contentTrust: true, signatures: [], attestations: [], now: new Date() });
    return decide({ result, ...(policy.entries[0]?.notary ? { notaryRule: policy.entries[0].notary } : {}), notary: untrusted, anySignature: false });
  };
  test('does not meet the signature requirement, names the keys, and is not "unsigned"', () => {
    const d = decision(false);
    assert.equal(d.decision, 'reject');
    assert.equal(d.unmet, 'signature');
    assert.match(d.reason ?? '', /notary: Notary keys not pinned: the Notary root of x is signed by root key k/);
    assert.equal(d.unsigned, false);
  });
  test('refuses under authoritative', () => {
    const d = decision(true);
    assert.equal(d.unmet, 'notary');
    assert.match(d.reason ?? '', /^Notary keys not pinned: .*Notary is authoritative/);
  });
});
