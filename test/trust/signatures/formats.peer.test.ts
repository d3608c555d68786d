/**
 * Byte-level compatibility with cosign, both directions: signatures made by
 * cosign (published fixtures) verify here; signatures made here verify with
 * an independent implementation of cosign's check (openssl over the exact
 * payload bytes) and have exactly cosign's payload shape.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { signBytes } from '../../../src/trust/keys/sign.js';
import {
  BUNDLE_MEDIA_TYPE,
  buildDsseBundle,
  buildSimpleSigningPayload,
  buildStatement,
  pae,
  parseBundle,
  verifyEnvelope,
} from '../../../src/trust/signatures/index.js';
import { runCommand } from '../../support/peers.js';

const DIGEST = 'sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00' as const;

describe('portcullis-made signatures verify with an independent check', () => {
  test('payload has exactly cosign\'s shape and openssl verifies the signature', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const payload = buildSimpleSigningPayload({ dockerReference: '127.0.0.1:5000/team/app', manifestDigest: DIGEST });
    assert.equal(
      payload.toString('utf8'),
      `{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/team/app"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
    );
    const annotated = buildSimpleSigningPayload({ dockerReference: 'r/a', manifestDigest: DIGEST, annotations: { z: '1', a: '2' } });
    assert.match(annotated.toString(), /"optional":\{"a":"2","z":"1"\}\}$/);
    const signature = signBytes(privateKey, payload);
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-openssl-'));
    await writeFile(join(dir, 'payload.json'), payload);
    await writeFile(join(dir, 'sig.der'), Buffer.from(signature.toString('base64'), 'base64'));
    await writeFile(join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const ok = await runCommand('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'payload.json')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Verified OK/);
    // and a single changed byte is refused by openssl too (the check can fail)
    payload[10] = payload[10]! ^ 1;
    await writeFile(join(dir, 'payload.json'), payload);
    const bad = await runCommand('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'payload.json')]);
    assert.notEqual(bad.code, 0);
  });

  test('DSSE: openssl verifies our signature over PAE', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const statement = buildStatement({ name: 'r/a', digest: DIGEST, predicateType: 'https://example.com/p', predicate: { x: 1 } });
    const sig = signBytes(privateKey, pae('application/vnd.in-toto+json', statement));
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-openssl-'));
    await writeFile(join(dir, 'pae.bin'), pae('application/vnd.in-toto+json', statement));
    await writeFile(join(dir, 'sig.der'), sig);
    await writeFile(join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const ok = await runCommand('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'pae.bin')]);
    assert.equal(ok.code, 0, ok.stderr);
    const bundle = parseBundle(buildDsseBundle({ payloadType: 'application/vnd.in-toto+json', payload: statement, signatures: [{ keyid: '', sig }] }, 'hint'));
    assert.equal(bundle.mediaType, BUNDLE_MEDIA_TYPE);
    assert.equal(verifyEnvelope(bundle.dsseEnvelope!, publicKey), true);
  });
});
