import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KeyError,
  canonicalJson,
  createCertification,
  createRevocationList,
  evaluateAuthorization,
  generateKeyPair,
  matchRepository,
  signStatement,
  validateGlob,
  verifyStatement,
} from '../../../src/trust/keys/index.js';

test('canonical JSON sorts keys, drops undefined, rejects non-data', () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 1, y: 2 } }), '{"a":[true,null,"x"],"b":1,"d":{"y":2,"z":1}}');
  assert.throws(() => canonicalJson({ a: Number.NaN }), TypeError);
  assert.throws(() => canonicalJson({ a: new Date() }), TypeError);
});

test('repository globs: * stays inside a segment, ** spans segments', () => {
  assert.equal(matchRepository('registry.example/team/*', 'registry.example/team/app'), true);
  assert.equal(matchRepository('registry.example/team/*', 'registry.example/other/x'), false);
  assert.equal(matchRepository('registry.example/team/*', 'registry.example/team/a/b'), false);
  assert.equal(matchRepository('registry.example/team/*', 'registry.example/team'), false);
  assert.equal(matchRepository('registry.example/team/**', 'registry.example/team/a/b'), true);
  assert.equal(matchRepository('registry.example/team/**', 'registry.example/teams/a'), false);
  assert.equal(matchRepository('registry.example/team/app-*', 'registry.example/team/app-web'), true);
  assert.equal(matchRepository('registry.example/team/app-*', 'registry.example/team/appweb'), false);
  assert.equal(matchRepository('registry.example:5000/x', 'registry.example:5000/x'), true);
  assert.equal(matchRepository('registry.example/x', 'registryXexample/x'), false, 'dots are literal');
  for (const bad of ['', 'a//b', 'a/b**', 'a/(b)', 'a b/c']) assert.throws(() => validateGlob(bad), (e: unknown) => e instanceof KeyError && e.code === 'GLOB_INVALID', bad);
  assert.equal(matchRepository('a/(b)', 'a/(b)'), false, 'invalid globs never match');
});

test('root-signed statements: verify against the root only, and break on any change', () => {
  const root = generateKeyPair('ecdsa-p256');
  const other = generateKeyPair('ecdsa-p256');
  const signed = signStatement(root.privateKey, { type: 'x', n: 1 });
  assert.equal(verifyStatement(root.publicKey, signed), true);
  assert.equal(verifyStatement(other.publicKey, signed), false);
  assert.equal(verifyStatement(root.publicKey, { ...signed, statement: { type: 'x', n: 2 } }), false);
});

test('evaluateAuthorization: certification, globs, expiry, revocation, tampering', () => {
  const root = generateKeyPair('ed25519');
  const repo = generateKeyPair('ecdsa-p256');
  const now = new Date('2025-05-05T00:00:00Z');
  const cert = createCertification(root.privateKey, { publicKey: repo.publicKey, repositories: ['registry.example/team/*'], issued: now, expires: new Date('2026-01-01T00:00:00Z') });
  const base = { rootPublicKey: root.publicKey, keyId: repo.keyId, certifications: [cert], revocations: undefined, now };
  assert.deepEqual(evaluateAuthorization({ ...base, repository: 'registry.example/team/app' }).reason, 'authorized');
  assert.equal(evaluateAuthorization({ ...base, repository: 'registry.example/other/x' }).reason, 'repository-not-covered');
  assert.equal(evaluateAuthorization({ ...base, repository: 'registry.example/team/app', now: new Date('2026-02-01T00:00:00Z') }).reason, 'expired');
  assert.equal(evaluateAuthorization({ ...base, repository: 'registry.example/team/app', rootPublicKey: undefined }).reason, 'no-root');
  assert.equal(evaluateAuthorization({ ...base, repository: 'registry.example/team/app', keyId: root.keyId }).reason, 'is-root');
  assert.equal(evaluateAuthorization({ ...base, repository: 'registry.example/team/app', certifications: [] }).reason, 'not-certified');

  const widened = { ...cert, statement: { ...cert.statement, repositories: ['**'] } };
  assert.equal(evaluateAuthorization({ ...base, repository: 'registry.example/other/x', certifications: [widened] }).reason, 'certification-invalid');
  const forged = createCertification(generateKeyPair('ed25519').privateKey, { publicKey: repo.publicKey, repositories: ['**'], issued: now });
  assert.equal(evaluateAuthorization({ ...base, repository: 'registry.example/other/x', certifications: [forged] }).authorized, false);

  const revocations = createRevocationList(root.privateKey, { serial: 1, issued: now, revoked: [{ keyId: repo.keyId, revoked: now.toISOString() }] });
  assert.equal(evaluateAuthorization({ ...base, repository: 'registry.example/team/app', revocations }).reason, 'revoked');
  const emptied = { ...revocations, statement: { ...revocations.statement, revoked: [] } };
  assert.equal(evaluateAuthorization({ ...base, repository: 'registry.example/team/app', revocations: emptied }).reason, 'revocation-list-invalid');
  assert.throws(
    () => createRevocationList(root.privateKey, { serial: 1, issued: now, revoked: [{ keyId: root.keyId, revoked: now.toISOString() }] }),
    (e: unknown) => e instanceof KeyError && e.code === 'ROLE_INVALID',
  );
});
