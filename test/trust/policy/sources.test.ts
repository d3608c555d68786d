/**
 * The policy's trust sources (`sources`, `notary`) and the decision over
 * every source (decide.ts): parsing with file:line errors, and the decision
 * table — cosign/bundle result × Notary finding × authoritative.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PolicyError, decide, evaluate, parsePolicy, type NotaryFinding, type TrustSource } from '../../../src/trust/policy/index.js';
import type { SignatureCheck } from '../../../src/trust/signatures/index.js';

const REPO = 'registry.example/team/app';
const DIGEST = `sha256:${'a'.repeat(64)}` as const;
const OTHER = `sha256:${'b'.repeat(64)}`;
const NOW = new Date('2025-06-10T00:00:00Z');

function sig(over: Partial<SignatureCheck> = {}): SignatureCheck {
  return { layout: 'tag', location: 'x', status: 'verified', message: 'verified', keyId: 'ab'.repeat(32), keySource: 'store', keyReason: 'authorized', identity: 'match', signedIdentity: REPO, signedDigest: DIGEST, ...over };
}

function rejects(text: string, pattern: RegExp): void {
  assert.throws(() => parsePolicy(text, 'p.yaml'), (e: unknown) => e instanceof PolicyError && e.code === 'POLICY_INVALID' && pattern.test(e.message));
}

describe('parsing sources and notary', () => {
  test('sources and notary settings parse; absent means every source, not authoritative', () => {
    const p = parsePolicy(
      `version: 1
repositories:
  - match: registry.example/team/*
    sources: [notary, cosign]
    notary:
      authoritative: true
      roles: [targets/releases, targets]
  - match: other.example/**
`,
      'p.yaml',
    );
    assert.deepEqual(p.entries[0]?.sources, ['notary', 'cosign']);
    assert.deepEqual(p.entries[0]?.notary, { authoritative: true, roles: ['targets/releases', 'targets'], rootKeys: [], signers: [] });
    assert.equal(p.entries[1]?.sources, undefined);
    assert.equal(p.entries[1]?.notary, undefined);
    assert.deepEqual(parsePolicy('repositories:\n  - match: a/b\n    sources: notary\n    notary: {roles: targets}\n').entries[0]?.notary, { authoritative: false, roles: ['targets'], rootKeys: [], signers: [] });
  });

  test('mistakes are one POLICY_INVALID naming file:line', () => {
    rejects('repositories:\n  - match: a/b\n    sources: [cosign, gpg]\n', /^p\.yaml:3: "sources" entries are cosign, bundle or notary, not "gpg"/);
    rejects('repositories:\n  - match: a/b\n    sources: []\n', /^p\.yaml:3: "sources" must be a non-empty list/);
    rejects('repositories:\n  - match: a/b\n    sources: [cosign, cosign]\n', /^p\.yaml:3: "sources" names cosign twice/);
    rejects('repositories:\n  - match: a/b\n    notary:\n      authoritative: yes please\n', /^p\.yaml:4: "authoritative" must be true or false/);
    rejects('repositories:\n  - match: a/b\n    notary:\n      roles: [releases]\n', /^p\.yaml:4: "roles" entries are targets or a delegation such as targets\/releases, not "releases"/);
    rejects('repositories:\n  - match: a/b\n    notary:\n      server: https://x\n', /^p\.yaml:4: unknown key "server" in "notary" \(allowed: authoritative, roles, rootKeys, signers\)/);
    rejects('repositories:\n  - match: a/b\n    notary: true\n', /^p\.yaml:3: "notary" must be a mapping/);
    rejects('repositories:\n  - match: a/b\n    sources: [cosign]\n    notary: {authoritative: true}\n', /^p\.yaml:4: "notary" settings need notary in "sources"/);
  });
});

const GUN = REPO;
const FINDINGS: Record<string, NotaryFinding> = {
  off: { kind: 'off' },
  noData: { kind: 'no-data', gun: GUN, detail: 'https://registry.example has none' },
  signed: { kind: 'signed', gun: GUN, tag: 'latest', digest: DIGEST, size: 10, role: 'targets/releases', keyIds: ['cd'.repeat(32)], rootKeys: [], signerKeys: [] },
  notSigned: { kind: 'not-signed', gun: GUN, tag: 'latest', detail: '' },
  mismatch: { kind: 'mismatch', gun: GUN, tag: 'latest', detail: `latest is signed for ${OTHER}, not ${DIGEST}` },
  expired: { kind: 'failed', gun: GUN, reason: 'expired', detail: 'EXPIRED: targets expired at 2020-01-01T00:00:00.000Z' },
  threshold: { kind: 'failed', gun: GUN, reason: 'threshold', detail: 'THRESHOLD_NOT_MET: targets/releases.json: 1 valid signature, threshold is 2' },
};

function run(options: { cosign: 'valid' | 'none' | 'untrusted'; notary: keyof typeof FINDINGS; authoritative?: boolean; sources?: TrustSource[]; action?: string }) {
  const entryLines = [`  - match: ${REPO}`];
  if (options.sources) entryLines.push(`    sources: [${options.sources.join(', ')}]`);
  if (options.authoritative) entryLines.push('    notary: {authoritative: true}');
  if (options.action) entryLines.push(`    action: ${options.action}`);
  const policy = parsePolicy(`repositories:\n${entryLines.join('\n')}\n`, 'p.yaml');
  const all = options.cosign === 'none' ? [] : [sig(options.cosign === 'untrusted' ? { status: 'unknown-key', message: 'no key of the store verifies it', keySource: undefined } : {})];
  const entry = policy.entries[0];
  const sources = entry?.sources ?? ['cosign', 'bundle', 'notary'];
  const signatures = all.filter((c) => sources.includes(c.layout === 'bundle' ? 'bundle' : 'cosign'));
  const result = evaluate(policy, { repository: REPO, digest: DIGEST, contentTrust: true, signatures, attestations: [], now: NOW });
  return decide({ result, sources, ...(entry?.notary ? { notaryRule: entry.notary } : {}), notary: FINDINGS[options.notary]!, anySignature: all.length > 0 });
}

describe('the decision over every source', () => {
  const table: Array<[Parameters<typeof run>[0], 'allow' | 'reject' | 'warn', string | undefined, RegExp | undefined]> = [
    // cosign alone, Notary without data: cosign decides
    [{ cosign: 'valid', notary: 'noData' }, 'allow', undefined, undefined],
    [{ cosign: 'none', notary: 'noData' }, 'reject', 'signature', /^cosign\+bundle: no signature found for .*; notary: no trust data for registry\.example\/team\/app/],
    // Notary alone satisfies the signature requirement
    [{ cosign: 'none', notary: 'signed' }, 'allow', undefined, undefined],
    [{ cosign: 'untrusted', notary: 'signed' }, 'allow', undefined, undefined],
    // either source suffices when not authoritative
    [{ cosign: 'valid', notary: 'notSigned' }, 'allow', undefined, undefined],
    [{ cosign: 'valid', notary: 'mismatch' }, 'allow', undefined, undefined],
    // neither: each source says why
    [{ cosign: 'untrusted', notary: 'notSigned' }, 'reject', 'signature', /^cosign\+bundle: 1 signature by root-certified keys required, 0 valid; no key of the store verifies it; notary: tag latest is not in Notary for .* \(revoked, removed or never signed\)$/],
    [{ cosign: 'none', notary: 'mismatch' }, 'reject', 'signature', /notary: Notary target mismatch: latest is signed for sha256:b{64}, not sha256:a{64}$/],
    // broken Notary data refuses whatever cosign says
    [{ cosign: 'valid', notary: 'expired' }, 'reject', 'notary', /^expired metadata for registry\.example\/team\/app: EXPIRED/],
    [{ cosign: 'valid', notary: 'threshold' }, 'reject', 'notary', /^threshold not met for .*threshold is 2$/],
    // authoritative: Notary must sign the tag
    [{ cosign: 'valid', notary: 'notSigned', authoritative: true }, 'reject', 'notary', /^tag latest is not in Notary .*; Notary is authoritative for this repository \(policy p\.yaml:2\)$/],
    [{ cosign: 'valid', notary: 'noData', authoritative: true }, 'reject', 'notary', /^no trust data for .*Notary is authoritative/],
    [{ cosign: 'none', notary: 'signed', authoritative: true }, 'allow', undefined, undefined],
    // sources restrict what counts
    [{ cosign: 'valid', notary: 'notSigned', sources: ['notary'] }, 'reject', 'signature', /^notary: tag latest is not in Notary/],
    [{ cosign: 'none', notary: 'signed', sources: ['cosign', 'bundle'] }, 'reject', 'signature', /^cosign\+bundle: no signature found/],
    [{ cosign: 'valid', notary: 'off', sources: ['bundle'] }, 'reject', 'signature', /^bundle: no signature found/],
    // warn lets it through with the reason
    [{ cosign: 'none', notary: 'notSigned', action: 'warn' }, 'warn', 'signature', /notary: tag latest is not in Notary/],
  ];
  for (const [input, decision, unmet, reason] of table) {
    test(`cosign ${input.cosign} × notary ${input.notary}${input.authoritative ? ' (authoritative)' : ''}${input.sources ? ` sources ${input.sources.join('+')}` : ''}${input.action ? ` ${input.action}` : ''} → ${decision}`, () => {
      const d = run(input);
      assert.equal(d.decision, decision, JSON.stringify(d.requirements));
      assert.equal(d.unmet, unmet);
      if (reason) assert.match(d.reason ?? '', reason);
    });
  }

  test('"unsigned" (remote trust data does not exist) only when no source has anything', () => {
    assert.equal(run({ cosign: 'none', notary: 'noData' }).unsigned, true);
    assert.equal(run({ cosign: 'none', notary: 'notSigned' }).unsigned, false);
    assert.equal(run({ cosign: 'none', notary: 'expired' }).unsigned, false);
    assert.equal(run({ cosign: 'untrusted', notary: 'noData' }).unsigned, false);
  });

  test('each source outcome is reported; the met one names the signer', () => {
    const d = run({ cosign: 'none', notary: 'signed' });
    assert.deepEqual(d.sources.map((s) => [s.source, s.met]), [['cosign+bundle', false], ['notary', true]]);
    assert.match(d.requirements[0]?.detail ?? '', /^notary: tag latest is signed for sha256:a{64} by targets\/releases \(key cdcdcdcdcdcd\)$/);
  });

  test('nothing required (action allow) asks no source', () => {
    const policy = parsePolicy(`repositories:\n  - match: ${REPO}\n    action: allow\n`);
    const result = evaluate(policy, { repository: REPO, digest: DIGEST, contentTrust: true, signatures: [], attestations: [], now: NOW });
    const d = decide({ result, notary: FINDINGS.expired!, anySignature: false });
    assert.equal(d.decision, 'allow');
    assert.deepEqual(d.sources, []);
  });
});
