/**
 * What `sign --notary` signs, checked without a server: the root certificate
 * (what notary's GenerateCertificate makes: CN = GUN, self-signed, not a CA,
 * ten notary years, codeSigning), root.json v1 that our own verifier (the
 * rules of notary's trust pinning) accepts for the GUN and no other, and
 * targets edits that bump the version, keep delegations and unknown fields,
 * and sign what the root's targets key verifies.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import {
  bareSigningKey,
  buildInitialRoot,
  emptyTargets,
  generateSigningKey,
  parseRootMetadata,
  parseTargetsMetadata,
  rootCertificateKey,
  rootCertificatePem,
  setTarget,
  targetFileMeta,
  verifyRootSelf,
  verifyThreshold,
} from '../../../src/trust/tuf/index.js';

const gun = '127.0.0.1:5000/team/app';
const now = new Date('2026-03-01T12:00:00.500Z');
const DAY = 24 * 3600 * 1000;

test('the root certificate is self-signed for the GUN, not a CA, valid ten notary years, for code signing', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cert = new X509Certificate(rootCertificatePem(privateKey, gun, now));
  assert.equal(cert.subject, `CN=${gun}`);
  assert.equal(cert.issuer, `CN=${gun}`);
  assert.equal(cert.ca, false);
  assert.ok(cert.verify(cert.publicKey), 'self-signed');
  assert.ok(cert.checkPrivateKey(privateKey));
  assert.equal(new Date(cert.validFrom).getTime(), Date.parse('2026-03-01T12:00:00Z'));
  assert.equal(new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime(), 3650 * DAY);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.3']);
  assert.match(cert.serialNumber, /^[0-9A-F]+$/);
});

test('an RSA root gets an rsa-x509 key; Ed25519 has no Notary root certificate', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  assert.equal(rootCertificateKey(rsa.privateKey, gun, now).public.keytype, 'rsa-x509');
  const ed = generateKeyPairSync('ed25519');
  assert.throws(() => rootCertificateKey(ed.privateKey, gun, now), { code: 'SIGNING_FAILED' });
});

function initialRoot() {
  const rootKey = rootCertificateKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, gun, new Date());
  const targets = bareSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  const [snapshot, timestamp] = [generateSigningKey('ed25519').public, generateSigningKey('ed25519').public];
  return { rootKey, targets, bytes: buildInitialRoot({ root: rootKey, targets: targets.public, snapshot, timestamp }, new Date()), snapshot, timestamp };
}

test('root.json v1 lists the four roles, threshold 1, and stands on its own for the GUN only', () => {
  const { rootKey, targets, snapshot, timestamp, bytes } = initialRoot();
  const root = parseRootMetadata(bytes);
  assert.equal(root.signed.version, 1);
  assert.equal(root.signed.consistentSnapshot, false);
  const roles = Object.fromEntries([...root.signed.roles].map(([name, role]) => [name, [role.keyids, role.threshold]]));
  assert.deepEqual(roles, {
    root: [[rootKey.public.id], 1],
    targets: [[targets.public.id], 1],
    snapshot: [[snapshot.id], 1],
    timestamp: [[timestamp.id], 1],
  });
  verifyRootSelf(root, gun, new Date());
  assert.throws(() => verifyRootSelf(root, '127.0.0.1:5000/team/other', new Date()), { code: 'ROOT_INVALID' });
  const years = (root.signed.expires.getTime() - Date.now()) / DAY;
  assert.ok(years > 3649 && years <= 3650, String(years));
});

test('setTarget bumps the version, keeps delegations and unknown fields, and the targets key verifies it', () => {
  const { targets, bytes } = initialRoot();
  const root = parseRootMetadata(bytes);
  const first = parseTargetsMetadata(setTarget(emptyTargets(), 'v1', targetFileMeta('ab'.repeat(32), 1234), targets, now));
  assert.equal(first.signed.version, 1);
  assert.deepEqual([...first.signed.targets.keys()], ['v1']);
  assert.equal(first.signed.targets.get('v1')?.hashes.sha256?.toString('hex'), 'ab'.repeat(32));
  assert.equal(first.signed.targets.get('v1')?.length, 1234);
  assert.equal(first.signed.expires.getTime(), Date.parse('2026-03-01T12:00:00Z') + 3 * 365 * DAY);
  verifyThreshold(first, root.signed.roles.get('targets')!, root.signed.keys, 'targets.json');

  const withExtras = { ...first.signedJson, custom_field: 'kept', delegations: { keys: {}, roles: [] } };
  const second = parseTargetsMetadata(setTarget(withExtras, 'v1', targetFileMeta('cd'.repeat(32), 99), targets, now));
  assert.equal(second.signed.version, 2);
  assert.equal(second.signedJson.custom_field, 'kept');
  assert.equal(second.signed.targets.get('v1')?.hashes.sha256?.toString('hex'), 'cd'.repeat(32));
  verifyThreshold(second, root.signed.roles.get('targets')!, root.signed.keys, 'targets.json');
  const other = bareSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  const forged = parseTargetsMetadata(setTarget(second.signedJson, 'v2', targetFileMeta('ef'.repeat(32), 1), other, now));
  assert.throws(() => verifyThreshold(forged, root.signed.roles.get('targets')!, root.signed.keys, 'targets.json'), { code: 'THRESHOLD_NOT_MET' });
});

test('target entries are sha256 hex and a non-negative length', () => {
  assert.throws(() => targetFileMeta('AB'.repeat(32), 1), { code: 'METADATA_INVALID' });
  assert.throws(() => targetFileMeta('ab'.repeat(31), 1), { code: 'METADATA_INVALID' });
  assert.throws(() => targetFileMeta('ab'.repeat(32), -1), { code: 'METADATA_INVALID' });
  assert.deepEqual(targetFileMeta('00'.repeat(32), 0), { hashes: { sha256: Buffer.alloc(32).toString('base64') }, length: 0 });
});
