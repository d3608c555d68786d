/** Policy parsing (strict, with lines) and pure evaluation: reject/warn/allow, identity, thresholds, attestation freshness and conditions. */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { PolicyError, evaluate, parsePolicy, parseDuration, findingSeverities } from '../../../src/trust/policy/index.js';
import type { SignatureCheck } from '../../../src/trust/signatures/index.js';

const REPO = 'registry.example/team/app';
const DIGEST = `sha256:${'a'.repeat(64)}` as const;
const NOW = new Date('2025-06-10T00:00:00Z');
void createPublicKey;
void generateKeyPairSync;

function sig(over: Partial<SignatureCheck> = {}): SignatureCheck {
  return { layout: 'tag', location: 'x', status: 'verified', message: 'verified', keyId: 'ab'.repeat(32), keySource: 'store', keyReason: 'authorized', identity: 'match', signedIdentity: REPO, signedDigest: DIGEST, ...over };
}

function vuln(finished: string, findings: { severity: string }[]): SignatureCheck {
  return sig({
    predicateType: 'https://cosign.sigstore.dev/attestation/vuln/v1',
    predicate: { scanner: { result: { findings: findings.map((f, i) => ({ id: `CVE-${i}`, ...f })) } }, metadata: { scanStartedOn: finished, scanFinishedOn: finished } },
  });
}

const facts = (over: Partial<Parameters<typeof evaluate>[1]> = {}) => ({ repository: REPO, digest: DIGEST, contentTrust: true, signatures: [sig()], attestations: [], now: NOW, ...over });

describe('parsing', () => {
  test('a full entry parses', () => {
    const p = parsePolicy(
      `version: 1
repositories:
  - match: [registry.example/team/*, "other.example/**"]
    keys: [root-certified, abcdef123456, ./vendor.pub]
    threshold: 2
    signedIdentity: exact
    identity: registry.example/team/app
    attestations:
      - type: vuln
        maxAge: 7d
        condition: no CRITICAL finding
    action: warn
`,
      'p.yaml',
    );
    const e = p.entries[0]!;
    assert.equal(e.threshold, 2);
    assert.deepEqual(e.keys.map((k) => k.kind), ['root-certified', 'id', 'file']);
    assert.equal(e.attestations[0]?.maxAgeMs, 7 * 86_400_000);
    assert.equal(e.attestations[0]?.condition?.threshold, 'CRITICAL');
    assert.equal(e.where, 'p.yaml:3');
  });

  for (const [name, text, line, pattern] of [
    ['unknown key', 'repositories:\n  - match: a/b\n    acton: reject\n', 3, /unknown key "acton"/],
    ['bad glob', 'repositories:\n  - match: "a/b**"\n', 2, /bad glob/],
    ['bad duration', 'repositories:\n  - match: a/b\n    attestations:\n      - type: vuln\n        maxAge: 7days\n', 5, /maxAge/],
    ['bad condition', 'repositories:\n  - match: a/b\n    attestations:\n      - type: vuln\n        condition: few bugs\n', 5, /condition/],
    ['bad action', 'repositories:\n  - match: a/b\n    action: maybe\n', 3, /action/],
    ['bad top-level key', 'version: 1\nrepos: []\n', 2, /unknown key "repos"/],
  ] as const) {
    test(`${name} is one error naming the line`, () => {
      assert.throws(() => parsePolicy(text, 'f.yaml'), (e: unknown) => e instanceof PolicyError && e.code === 'POLICY_INVALID' && e.message.startsWith(`f.yaml:${line}:`) && pattern.test(e.message));
    });
  }

  test('durations', () => {
    assert.equal(parseDuration('12h'), 12 * 3_600_000);
    assert.equal(parseDuration('2w'), 14 * 86_400_000);
    assert.equal(parseDuration('7'), undefined);
  });
});

describe('evaluation', () => {
  test('default: content trust on requires a trusted store signature; off enforces nothing', () => {
    assert.equal(evaluate(undefined, facts()).decision, 'allow');
    const none = evaluate(undefined, facts({ signatures: [] }));
    assert.equal(none.decision, 'reject');
    assert.equal(none.unmet, 'signature');
    assert.equal(none.unsigned, true);
    assert.equal(evaluate(undefined, facts({ signatures: [], contentTrust: false })).decision, 'allow');
    const revoked = evaluate(undefined, facts({ signatures: [sig({ status: 'untrusted-key', keyReason: 'revoked', message: 'key x is revoked' })] }));
    assert.equal(revoked.decision, 'reject');
    assert.match(revoked.reason!, /revoked/);
  });

  test('reject / warn / allow', () => {
    const p = (action: string) => parsePolicy(`repositories:\n  - match: registry.example/team/*\n    action: ${action}\n`);
    assert.equal(evaluate(p('reject'), facts({ signatures: [] })).decision, 'reject');
    assert.equal(evaluate(p('warn'), facts({ signatures: [] })).decision, 'warn');
    assert.equal(evaluate(p('allow'), facts({ signatures: [] })).decision, 'allow');
    // a matching entry applies with content trust off
    assert.equal(evaluate(p('reject'), facts({ signatures: [], contentTrust: false })).decision, 'reject');
  });

  test('threshold counts distinct keys', () => {
    const p = parsePolicy('repositories:\n  - match: "**"\n    threshold: 2\n');
    assert.equal(evaluate(p, facts({ signatures: [sig(), sig({ layout: 'bundle' })] })).decision, 'reject');
    assert.equal(evaluate(p, facts({ signatures: [sig(), sig({ keyId: 'cd'.repeat(32) })] })).decision, 'allow');
  });

  test('policy-named keys need no certification but revocation still applies', () => {
    const p = parsePolicy(`repositories:\n  - match: "**"\n    keys: [${'cd'.repeat(6)}]\n`);
    const uncertified = sig({ keyId: 'cd'.repeat(32), status: 'untrusted-key', keyReason: 'not-certified' });
    assert.equal(evaluate(p, facts({ signatures: [uncertified] })).decision, 'allow');
    assert.equal(evaluate(p, facts({ signatures: [{ ...uncertified, keyReason: 'revoked' }] })).decision, 'reject');
    assert.equal(evaluate(p, facts({ signatures: [sig()] })).decision, 'reject');
  });

  test('a key id prefix names one key only: a ground key sharing the prefix (imported for another repository) is no match', () => {
    const mine = `3f2a9c${'1'.repeat(58)}`;
    const ground = `3f2a9c${'e'.repeat(58)}`;
    const p = parsePolicy('repositories:\n  - match: "**"\n    keys: [3f2a9c]\n');
    const byGround = sig({ keyId: ground, status: 'untrusted-key', keyReason: 'repository-not-covered', message: 'key 3f2a9ceeeeee is not certified by the root key for registry.example/team/app' });
    // Without the known keys (as before), the prefix let the ground key through.
    assert.equal(evaluate(p, facts({ signatures: [byGround] })).decision, 'allow');
    const known = { knownKeyIds: [mine, ground] };
    const refused = evaluate(p, facts({ signatures: [byGround], ...known }));
    assert.equal(refused.decision, 'reject');
    assert.match(refused.reason!, /key id 3f2a9c names more than one key of the trust store and keys given: write the full 64-digit id/);
    // Ambiguous, the prefix accepts the owner's key neither; the full id does; unique, the prefix does.
    assert.equal(evaluate(p, facts({ signatures: [sig({ keyId: mine })], ...known })).decision, 'reject');
    assert.equal(evaluate(parsePolicy(`repositories:\n  - match: "**"\n    keys: [${mine}]\n`), facts({ signatures: [sig({ keyId: mine }), byGround], ...known })).decision, 'allow');
    assert.equal(evaluate(p, facts({ signatures: [sig({ keyId: mine })], knownKeyIds: [mine, 'ab'.repeat(32)] })).decision, 'allow');
  });

  test('signedIdentity', () => {
    const mirrored = sig({ signedIdentity: 'upstream.example/team/app', identity: 'mismatch' });
    const any = parsePolicy('repositories:\n  - match: "**"\n    signedIdentity: any\n');
    assert.equal(evaluate(any, facts({ signatures: [mirrored] })).decision, 'allow');
    const match = parsePolicy('repositories:\n  - match: "**"\n    signedIdentity: matchRepository\n');
    const r = evaluate(match, facts({ signatures: [mirrored] }));
    assert.equal(r.unmet, 'signedIdentity');
    const exact = parsePolicy('repositories:\n  - match: "**"\n    signedIdentity: exact\n    identity: upstream.example/team/app\n');
    assert.equal(evaluate(exact, facts({ signatures: [mirrored] })).decision, 'allow');
    assert.equal(evaluate(exact, facts()).decision, 'reject');
    // An identity with a tag or digest is exact about it too (it compared repositories only).
    const tagged = parsePolicy('repositories:\n  - match: "**"\n    signedIdentity: exact\n    identity: upstream.example/team/app:1.0\n');
    assert.equal(evaluate(tagged, facts({ signatures: [sig({ signedIdentity: 'upstream.example/team/app:1.0', identity: 'mismatch' })] })).decision, 'allow');
    for (const other of ['upstream.example/team/app:2.0', 'upstream.example/team/app', `upstream.example/team/app@${DIGEST}`]) {
      assert.equal(evaluate(tagged, facts({ signatures: [sig({ signedIdentity: other, identity: 'mismatch' })] })).decision, 'reject', other);
    }
    const hub = parsePolicy('repositories:\n  - match: "**"\n    signedIdentity: exact\n    identity: docker.io/library/alpine\n');
    assert.equal(evaluate(hub, facts({ signatures: [sig({ signedIdentity: 'index.docker.io/library/alpine:3.20', identity: 'mismatch' })] })).decision, 'allow');
  });

  test('attestation freshness and condition', () => {
    const p = parsePolicy('repositories:\n  - match: "**"\n    attestations:\n      - type: vuln\n        maxAge: 7d\n        condition: no CRITICAL finding\n');
    const fresh = vuln('2025-06-08T00:00:00Z', [{ severity: 'HIGH' }]);
    assert.equal(evaluate(p, facts({ attestations: [fresh] })).decision, 'allow');
    const stale = evaluate(p, facts({ attestations: [vuln('2025-05-01T00:00:00Z', [])] }));
    assert.equal(stale.unmet, 'attestation:vuln');
    assert.match(stale.reason!, /older than maxAge 7d/);
    const critical = evaluate(p, facts({ attestations: [vuln('2025-06-09T00:00:00Z', [{ severity: 'CRITICAL' }])] }));
    assert.match(critical.reason!, /1 finding\(s\) at CRITICAL or above/);
    assert.match(evaluate(p, facts()).reason!, /no vuln attestation/);
    assert.equal(evaluate(p, facts({ attestations: [{ ...fresh, status: 'unknown-key', keyId: 'ee'.repeat(32) }] })).decision, 'reject');
  });

  test('the newest attestation decides a condition; a signed time in the future is no time', () => {
    const p = parsePolicy('repositories:\n  - match: "**"\n    attestations:\n      - type: vuln\n        maxAge: 7d\n        condition: no CRITICAL finding\n');
    const olderClean = vuln('2025-06-05T00:00:00Z', []);
    const newerCritical = vuln('2025-06-09T00:00:00Z', [{ severity: 'CRITICAL' }]);
    // A later scan of the same digest found a CRITICAL: the earlier clean one, still inside maxAge, does not outweigh it.
    const superseded = evaluate(p, facts({ attestations: [olderClean, newerCritical] }));
    assert.equal(superseded.decision, 'reject');
    assert.match(superseded.reason!, /1 finding\(s\) at CRITICAL or above/);
    assert.equal(evaluate(p, facts({ attestations: [newerCritical, olderClean] })).decision, 'reject', 'whatever the order they are listed in');
    // The other way round: the CRITICAL was fixed (or withdrawn) by the newer scan.
    assert.equal(evaluate(p, facts({ attestations: [vuln('2025-06-05T00:00:00Z', [{ severity: 'CRITICAL' }]), vuln('2025-06-09T00:00:00Z', [])] })).decision, 'allow');
    // Dated a year ahead, a clean attestation would never age: it is not used, and the older CRITICAL one decides.
    const future = vuln('2026-06-09T00:00:00Z', []);
    const dated = evaluate(p, facts({ attestations: [future] }));
    assert.equal(dated.decision, 'reject');
    assert.match(dated.reason!, /dated 2026-06-09T00:00:00.000Z, in the future: its age cannot be trusted/);
    assert.equal(evaluate(p, facts({ attestations: [future, vuln('2025-06-08T00:00:00Z', [{ severity: 'CRITICAL' }])] })).decision, 'reject');
    // Within the clock skew (five minutes) it is used.
    assert.equal(evaluate(p, facts({ attestations: [vuln('2025-06-10T00:04:00Z', [])] })).decision, 'allow');
    // Without signed times (no maxAge), the newest is unknown: every one must meet the condition.
    const untimed = parsePolicy('repositories:\n  - match: "**"\n    attestations:\n      - type: vuln\n        condition: no CRITICAL finding\n');
    const noTime = (findings: { severity: string }[]): SignatureCheck => ({ ...vuln('2025-06-08T00:00:00Z', findings), predicate: { scanner: { result: { findings: findings.map((f, i) => ({ id: `CVE-${i}`, ...f })) } } } });
    assert.equal(evaluate(untimed, facts({ attestations: [noTime([]), noTime([{ severity: 'CRITICAL' }])] })).decision, 'reject');
    assert.equal(evaluate(untimed, facts({ attestations: [noTime([]), noTime([])] })).decision, 'allow');
  });

  test('a condition about findings is not met by the attestation of an incomplete scan (ours, CycloneDX, SARIF)', () => {
    const p = parsePolicy('repositories:\n  - match: "**"\n    attestations:\n      - type: vuln\n        condition: no CRITICAL finding\n');
    const clean = vuln('2025-06-08T00:00:00Z', []);
    assert.equal(evaluate(p, facts({ attestations: [clean] })).decision, 'allow');
    const withResult = (result: Record<string, unknown>): SignatureCheck =>
      sig({ predicateType: 'https://cosign.sigstore.dev/attestation/vuln/v1', predicate: { scanner: { result }, metadata: { scanFinishedOn: '2025-06-08T00:00:00Z' } } });
    const ours = evaluate(p, facts({ attestations: [withResult({ findings: [], incomplete: ['npm: failed: Maximum call stack size exceeded', 'rpm: x'] })] }));
    assert.equal(ours.decision, 'reject');
    assert.match(ours.reason!, /incomplete scan \(npm: failed: Maximum call stack size exceeded and 1 more\): findings may be missing, so "no CRITICAL finding" is not shown/);
    const cdx = withResult({ bomFormat: 'CycloneDX', metadata: { properties: [{ name: 'portcullis:incomplete', value: 'dpkg: var/lib/dpkg/status: larger than the size cap' }] }, vulnerabilities: [] });
    assert.equal(evaluate(p, facts({ attestations: [cdx] })).decision, 'reject');
    const sarif = withResult({ version: '2.1.0', runs: [{ invocations: [{ executionSuccessful: false }], results: [] }] });
    assert.equal(evaluate(p, facts({ attestations: [sarif] })).decision, 'reject');
    // Without a condition, an attestation is an attestation.
    const present = parsePolicy('repositories:\n  - match: "**"\n    attestations:\n      - type: vuln\n');
    assert.equal(evaluate(present, facts({ attestations: [cdx] })).decision, 'allow');
  });

  test('severities from CycloneDX, Trivy, Grype and our findings', () => {
    assert.deepEqual(findingSeverities({ vulnerabilities: [{ id: 'CVE-1', ratings: [{ severity: 'medium' }, { severity: 'critical' }] }] }), ['CRITICAL']);
    assert.deepEqual(findingSeverities({ Results: [{ Vulnerabilities: [{ VulnerabilityID: 'CVE-1', Severity: 'HIGH' }] }] }), ['HIGH']);
    assert.deepEqual(findingSeverities({ matches: [{ vulnerability: { id: 'CVE-2', severity: 'Low' } }] }), ['LOW']);
    assert.deepEqual(findingSeverities({ findings: [{ advisory: 'x', severities: [{ source: 'nvd', severity: 'HIGH' }] }] }), ['HIGH']);
  });
});

describe('which signatures counted', () => {
  test('--key names another key: a valid store signature is not counted and the requirement is unmet', () => {
    const other = 'cd'.repeat(32);
    const r = evaluate(undefined, facts({ signatures: [sig(), sig({ keyId: other, keySource: 'file' })], explicitKeyIds: [other] }));
    assert.deepEqual(r.counted, [false, true]);
    assert.equal(r.decision, 'allow');
    const unmet = evaluate(undefined, facts({ explicitKeyIds: [other] }));
    assert.deepEqual(unmet.counted, [false]);
    assert.equal(unmet.decision, 'reject');
  });

  test('the default entry counts store-verified signatures; an identity the entry refuses does not count; allow requires nothing', () => {
    assert.deepEqual(evaluate(undefined, facts()).counted, [true]);
    const p = parsePolicy(`version: 1\nrepositories:\n  - match: ["**"]\n    keys: [root-certified]\n    signedIdentity: matchRepository\n`, 'p.yaml');
    const r = evaluate(p, facts({ signatures: [sig(), sig({ signedIdentity: 'registry.example/other' })] }));
    assert.deepEqual(r.counted, [true, false]);
    assert.equal(evaluate(undefined, facts({ contentTrust: false })).counted, undefined);
  });
});
