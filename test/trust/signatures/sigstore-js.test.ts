/**
 * The Sigstore bundles portcullis writes, checked by an independent
 * verifier: the official sigstore-js `@sigstore/verify` (a devDependency),
 * so the format cannot drift from what Sigstore's own clients accept. The
 * bundle is built by the same functions `portcullis sign --layout bundle`
 * and `attest` use (engine/trust: buildStatement → PAE → signBytes →
 * buildDsseBundle, and buildMessageSignatureBundle), for every key type the
 * key store generates, and sigstore-js must accept each with the public key
 * named by the bundle's hint — and refuse a changed payload, a changed
 * artifact and another key.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { PublicKeyDetails, type TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { generateKeyPair, type GenerateAlgorithm } from '../../../src/trust/keys/keys.js';
import { signBytes } from '../../../src/trust/keys/sign.js';
import { buildDsseBundle, buildMessageSignatureBundle, parseBundle } from '../../../src/trust/signatures/bundle.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE, pae, PredicateType } from '../../../src/trust/signatures/dsse.js';

/** sigstore's names for the key types (protobuf-specs PublicKeyDetails). */
const KEY_DETAILS: Record<GenerateAlgorithm, PublicKeyDetails> = {
  'ecdsa-p256': PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
  ed25519: PublicKeyDetails.PKIX_ED25519,
  'rsa-3072': PublicKeyDetails.PKIX_RSA_PKCS1V15_3072_SHA256,
};

/** Trust material with no Sigstore root (keyed signatures: no Fulcio, Rekor or TSA) and the one public key, under its id. */
function verifierFor(keyId: string, spki: Buffer, algorithm: GenerateAlgorithm): Verifier {
  const emptyRoot: TrustedRoot = { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };
  const material = toTrustMaterial(emptyRoot, { [keyId]: { rawBytes: spki, keyDetails: KEY_DETAILS[algorithm], validFor: { start: new Date(0) } } });
  return new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;

function signedDsseBundle(algorithm: GenerateAlgorithm): { bundle: Buffer; keyId: string; spki: Buffer } {
  const pair = generateKeyPair(algorithm);
  const statement = buildStatement({ name: 'registry.example/team/app', digest: DIGEST as `sha256:${string}`, predicateType: PredicateType.CosignSign, predicate: {} });
  const sig = signBytes(pair.privateKey, pae(INTOTO_PAYLOAD_TYPE, statement));
  const bundle = buildDsseBundle({ payloadType: INTOTO_PAYLOAD_TYPE, payload: statement, signatures: [{ keyid: '', sig }] }, pair.keyId);
  return { bundle, keyId: pair.keyId, spki: pair.spki };
}

describe('sigstore-js (@sigstore/verify) accepts the bundles portcullis writes', () => {
  for (const algorithm of Object.keys(KEY_DETAILS) as GenerateAlgorithm[]) {
    test(`DSSE bundle (sign and attest), ${algorithm}`, () => {
      const { bundle, keyId, spki } = signedDsseBundle(algorithm);
      const parsed = bundleFromJSON(JSON.parse(bundle.toString('utf8')));
      const signer = verifierFor(keyId, spki, algorithm).verify(toSignedEntity(parsed));
      assert.equal(signer.key.type, 'public');
      assert.equal(parseBundle(bundle).keyHint, keyId, 'and portcullis reads back the same hint');

      // A payload changed after signing is refused by sigstore-js too.
      const json = JSON.parse(bundle.toString('utf8')) as { dsseEnvelope: { payload: string } };
      const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString('utf8')) as { subject: { digest: { sha256: string } }[] };
      statement.subject[0]!.digest.sha256 = 'cd'.repeat(32);
      json.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
      assert.throws(() => verifierFor(keyId, spki, algorithm).verify(toSignedEntity(bundleFromJSON(json))), /signature|verification/i);

      // Another key under the same hint: refused.
      const other = generateKeyPair(algorithm);
      assert.throws(() => verifierFor(keyId, other.spki, algorithm).verify(toSignedEntity(parsed)), /signature|verification/i);
    });
  }

  test('message-signature bundle over an artifact, ecdsa-p256', () => {
    const pair = generateKeyPair('ecdsa-p256');
    const artifact = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
    const bundle = buildMessageSignatureBundle(artifact, signBytes(pair.privateKey, artifact), pair.keyId);
    const parsed = bundleFromJSON(JSON.parse(bundle.toString('utf8')));
    verifierFor(pair.keyId, pair.spki, 'ecdsa-p256').verify(toSignedEntity(parsed, artifact));
    assert.equal(parseBundle(bundle).messageSignature?.digest.toString('hex'), createHash('sha256').update(artifact).digest('hex'));
    assert.throws(() => verifierFor(pair.keyId, pair.spki, 'ecdsa-p256').verify(toSignedEntity(parsed, Buffer.concat([artifact, Buffer.from(' ')]))), /digest|signature|verification/i);
  });
});
