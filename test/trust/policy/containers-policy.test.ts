/**
 * `policy export --format containers-policy`: the translation
 * (trust/policy/containers-policy.ts) checked against the rules of
 * containers-policy.json(5) and containers-registries.d(5)
 * (test/support/containers-policy-rules.ts, which is first shown to refuse
 * documents those pages forbid), the mapping of scopes, keys, thresholds and
 * identities, and each rule that cannot be said named in a warning; then the
 * command itself with a real trust store: files laid out as /etc/containers,
 * keyPath naming the written PEM, whose key id is the store key's.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { keyIdOfKey, parsePolicy, toContainersPolicy, type ExportKey, type KeySpec } from '../../../src/trust/index.js';
import { containersPolicyProblems, registriesDProblems } from '../../support/containers-policy-rules.js';
import { cli, trustHome } from '../../cli/trust/helpers.js';

const pem = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const KEY_A: ExportKey = { id: 'a1'.repeat(32), pem: pem() };
const KEY_B: ExportKey = { id: 'b2'.repeat(32), pem: pem() };
const keyFor = (spec: KeySpec): ExportKey | undefined => (spec.kind === 'id' ? [KEY_A, KEY_B].find((k) => k.id.startsWith(spec.id)) : spec.kind === 'file' && spec.path === './vendor.pub' ? KEY_B : undefined);

const POLICY = `version: 1
repositories:
  - match: registry.example/team/**
    keys: [a1a1a1a1a1a1]
    signedIdentity: matchRepository
    attestations: [{type: vuln, maxAge: 7d, condition: no CRITICAL finding}]
    cveAllowlist: [{id: CVE-2026-1, expires: 2027-01-31, reason: x}]
  - match: registry.example/team/app
    keys: [b2b2b2b2b2b2]
  - match: registry.example:5000/vendor/*
    keys: [a1a1a1a1a1a1, ./vendor.pub]
    threshold: 2
    signedIdentity: exact
    identity: vendor.example/product
  - match: "*.mirror.example"
    keys: [a1a1a1a1a1a1, b2b2b2b2b2b2]
    threshold: 1
  - match: registry.example/app-*
    keys: [a1a1a1a1a1a1]
  - match: registry.example/legacy/**
    keys: [root-certified]
  - match: registry.example/beta/**
    action: warn
  - match: "**"
    action: allow
`;

describe('the checker refuses what the man pages forbid', () => {
  for (const [name, doc, problem] of [
    ['no default', { transports: {} }, /"default" is mandatory/],
    ['an empty requirement list', { default: [] }, /non-empty array/],
    ['an unknown field', { default: [{ type: 'reject' }], other: 1 }, /unrecognized field other/],
    ['two key sources', { default: [{ type: 'sigstoreSigned', keyPath: '/k.pub', keyData: 'AAAA', signedIdentity: { type: 'matchRepository' } }] }, /exactly one of keyPath and keyData/],
    ['a relative keyPath', { default: [{ type: 'sigstoreSigned', keyPath: 'k.pub', signedIdentity: { type: 'matchRepository' } }] }, /absolute path/],
    ['an identity cosign signatures cannot meet', { default: [{ type: 'sigstoreSigned', keyPath: '/k.pub' }] }, /matchRepoDigestOrExact cannot accept a cosign signature/],
    ['an inner wildcard scope', { default: [{ type: 'reject' }], transports: { docker: { 'example*.*.com': [{ type: 'reject' }] } } }, /invalid scope/],
  ] as const) {
    test(name, () => assert.ok(containersPolicyProblems(JSON.stringify(doc)).some((p) => problem.test(p)), JSON.stringify(containersPolicyProblems(JSON.stringify(doc)))));
  }
  test('a wildcard registries.d host', () => assert.match(registriesDProblems({ docker: { '*.example.com': { 'use-sigstore-attachments': true } } })[0]!, /no wildcards/));
});

describe('translation', () => {
  const out = toContainersPolicy(parsePolicy(POLICY, 'p.yaml'), { keyFor, keyDir: '/etc/containers/keys' });
  const docker = out.policy.transports.docker;

  test('the document passes the man pages\' rules', () => {
    assert.deepEqual(containersPolicyProblems(JSON.stringify(out.policy)), []);
    assert.deepEqual(registriesDProblems(out.registriesD), []);
  });

  test('scopes, keys, thresholds and identities', () => {
    assert.deepEqual(out.policy.default, [{ type: 'reject' }]);
    assert.deepEqual(docker['registry.example/team'], [{ type: 'sigstoreSigned', keyPath: `/etc/containers/keys/${KEY_A.id}.pub`, signedIdentity: { type: 'matchRepository' } }]);
    assert.equal(docker['registry.example/team/app'], undefined, 'shadowed by the entry before it');
    assert.deepEqual(docker['registry.example:5000/vendor'], [KEY_A, KEY_B].map((k) => ({ type: 'sigstoreSigned', keyPath: `/etc/containers/keys/${k.id}.pub`, signedIdentity: { type: 'exactRepository', dockerRepository: 'vendor.example/product' } })));
    assert.equal(docker['*.mirror.example']?.length, 2, 'one of two keys cannot be said: both required (stricter)');
    assert.equal(Object.keys(docker).some((s) => s.includes('app-')), false);
    assert.deepEqual(docker['registry.example/legacy'], [{ type: 'reject' }], 'root-certified alone: fail closed');
    assert.deepEqual(docker['registry.example/beta'], [{ type: 'insecureAcceptAnything' }]);
    assert.deepEqual(docker[''], [{ type: 'insecureAcceptAnything' }]);
    assert.deepEqual(out.keys.map((k) => k.id).sort(), [KEY_A.id, KEY_B.id]);
    assert.deepEqual(out.registriesD, { 'default-docker': { 'use-sigstore-attachments': true }, docker: { 'registry.example': { 'use-sigstore-attachments': true }, 'registry.example:5000': { 'use-sigstore-attachments': true } } });
  });

  test('every rule that cannot be said is a warning', () => {
    const expected = [
      /p\.yaml:3: required attestations \(vuln\) cannot be checked by containers-policy\.json/,
      /p\.yaml:3: the CVE allowlist has no meaning in containers-policy\.json/,
      /p\.yaml:8: registry\.example\/team\/app lies under p\.yaml:3, which applies first in our policy: left out/,
      /p\.yaml:10: registry\.example:5000\/vendor\/\* matches one level below/,
      /p\.yaml:15: threshold 1 of 2 keys cannot be expressed .* \(stricter\)/,
      /p\.yaml:15: signedIdentity any has no containers-policy equivalent/,
      /p\.yaml:18: the glob registry\.example\/app-\* has no containers-policy scope/,
      /p\.yaml:20: root-certified keys .* cannot be exported/,
      /p\.yaml:20: no exportable key: the scope is exported as reject \(fail closed\)/,
      /p\.yaml:22: action warn cannot be expressed/,
    ];
    for (const pattern of expected) assert.ok(out.warnings.some((w) => pattern.test(w)), `${pattern}\n${out.warnings.join('\n')}`);
  });

  test('a rule of an entry the translation does not know (Notary, sources) is warned about, not dropped silently', () => {
    const entry = parsePolicy('repositories:\n  - match: r.example/**\n    keys: [a1a1a1a1a1a1]\n    signedIdentity: matchRepository\n    sources: [cosign, notary]\n    notary:\n      authoritative: true\n', 'n.yaml').entries[0]!;
    const w = toContainersPolicy({ source: 'n.yaml', entries: [entry] }, { keyFor }).warnings;
    assert.ok(w.some((x) => /^n\.yaml:2: notary cannot be expressed in containers-policy\.json/.test(x)), w.join('\n'));
    assert.ok(w.some((x) => /^n\.yaml:2: sources cannot be expressed in containers-policy\.json/.test(x)), w.join('\n'));
  });

  test('without a key dir, keys are inlined as keyData; without entries, everything is rejected and said so', () => {
    const inline = toContainersPolicy(parsePolicy('repositories:\n  - match: r.example/**\n    keys: [a1a1a1a1a1a1]\n    signedIdentity: matchRepository\n', 'q.yaml'), { keyFor });
    const req = inline.policy.transports.docker['r.example']![0]!;
    assert.equal(Buffer.from(String(req.keyData), 'base64').toString('utf8'), KEY_A.pem);
    assert.deepEqual(containersPolicyProblems(JSON.stringify(inline.policy)), []);
    const none = toContainersPolicy(undefined, { keyFor });
    assert.deepEqual(none.policy, { default: [{ type: 'reject' }], transports: { docker: {} } });
    assert.match(none.warnings[0]!, /containers-policy\.json says reject for them/);
  });
});

test('the command: a store key by id, written as /etc/containers is laid out; warnings on stderr', async () => {
  const env = await trustHome();
  const work = await mkdtemp(join(tmpdir(), 'portcullis-policy-export-'));
  try {
    const generated = await cli(['key', 'generate'], env);
    assert.equal(generated.code, 0, generated.stderr);
    const keyId = generated.stdout.trim();
    const policy = join(work, 'policy.yaml');
    await writeFile(policy, `repositories:\n  - match: 127.0.0.1:5000/team/**\n    keys: [${keyId.slice(0, 12)}]\n    signedIdentity: matchRepository\n    attestations: [{type: sbom}]\n`);
    const out = join(work, 'etc');
    const r = await cli(['policy', 'export', '--format', 'containers-policy', '--policy', policy, '--output', out], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^portcullis: warning: .*policy\.yaml:2: required attestations \(sbom\) cannot be checked/m);
    const text = await readFile(join(out, 'policy.json'), 'utf8');
    assert.deepEqual(containersPolicyProblems(text), []);
    const doc = JSON.parse(text) as { transports: { docker: Record<string, Array<{ keyPath: string }>> } };
    assert.equal(doc.transports.docker['127.0.0.1:5000/team']![0]!.keyPath, `/etc/containers/keys/${keyId}.pub`);
    assert.equal(keyIdOfKey(createPublicKey(await readFile(join(out, 'keys', `${keyId}.pub`), 'utf8'))), keyId);
    const registries = parseYaml(await readFile(join(out, 'registries.d', 'portcullis.yaml'), 'utf8')) as unknown;
    assert.deepEqual(registriesDProblems(registries), []);
    assert.deepEqual(registries, { docker: { '127.0.0.1:5000': { 'use-sigstore-attachments': true } } });
    const stdout = await cli(['policy', 'export', '--policy', policy, '--default', 'insecureAcceptAnything'], env);
    assert.equal(stdout.code, 0, stdout.stderr);
    assert.deepEqual((JSON.parse(stdout.stdout) as { default: unknown }).default, [{ type: 'insecureAcceptAnything' }]);
    assert.equal((await cli(['policy', 'export', '--policy', policy, '--output', out, '--key-dir', 'keys'], env)).code, 2, 'keyPath must be absolute');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
