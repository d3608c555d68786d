/**
 * The root certificate Notary puts in root.json for a GUN: a self-signed
 * X.509 v3 certificate over the root key, Subject CN = the GUN, valid ten
 * years from now, key usage digitalSignature + keyEncipherment (critical),
 * extended key usage codeSigning, basic constraints present and not a CA —
 * what notary's `cryptoservice.GenerateCertificate` (template from
 * `tuf/utils/x509.go` `NewCertificate`) writes, and what its trust pinning
 * (`trustpinning/certs.go`) and ours (root.ts) accept: CN matching the GUN,
 * not a CA, within its validity, no SHA-1, RSA ≥ 2048 bits. Notary makes
 * root certificates for ECDSA and RSA keys only; an Ed25519 root is refused.
 *
 * Node's crypto parses certificates but does not create them, so the DER is
 * built with @peculiar/asn1-x509 (the maintained ASN.1 schemas behind
 * PeculiarVentures' x509 and PKI.js) and the TBSCertificate is signed with
 * node:crypto. Their higher-level @peculiar/x509 was not used: it needs a
 * global reflect-metadata polyfill (tsyringe) and WebCrypto key imports for a
 * job that is one structure and one signature.
 */
import { createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_kp_codeSigning,
} from '@peculiar/asn1-x509';
import { TufError } from './errors.js';
import { makeKey } from './keys.js';
import type { SigningKey } from './signatures.js';

/** notary's `NotaryRootExpiry`: root certificates are made for ten of its years. */
export const ROOT_CERTIFICATE_YEARS = 10;
/** notary's `Year`: 365 days of 24 hours (not calendar years). */
export const NOTARY_YEAR_MS = 365 * 24 * 3600 * 1000;

const COMMON_NAME = '2.5.4.3';
const ECDSA_WITH = { sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' } as const;
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
/** DER NULL: the parameters of an RSA signature algorithm. */
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

type Hash = keyof typeof ECDSA_WITH;

function signatureAlgorithm(privateKey: KeyObject): { id: AlgorithmIdentifier; hash: Hash; keytype: 'ecdsa-x509' | 'rsa-x509' } {
  const type = privateKey.asymmetricKeyType;
  if (type === 'ec') {
    // As Go's x509.CreateCertificate chooses: the hash that matches the curve.
    const curve = privateKey.asymmetricKeyDetails?.namedCurve;
    const hash: Hash | undefined = curve === 'prime256v1' ? 'sha256' : curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : undefined;
    if (!hash) throw new TufError('SIGNING_FAILED', `no Notary root certificate for an ECDSA key on ${curve ?? 'an unknown curve'}`);
    return { id: new AlgorithmIdentifier({ algorithm: ECDSA_WITH[hash] }), hash, keytype: 'ecdsa-x509' };
  }
  if (type === 'rsa') {
    if ((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new TufError('SIGNING_FAILED', 'Notary refuses RSA root keys under 2048 bits');
    return { id: new AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: DER_NULL }), hash: 'sha256', keytype: 'rsa-x509' };
  }
  throw new TufError('SIGNING_FAILED', `Notary root certificates are ECDSA or RSA; the root key is ${type ?? 'of an unknown type'}`);
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** A positive 128-bit serial number, as Go's `rand.Int(rand.Reader, 2^128)` (never zero, never negative in DER). */
function serialNumber(): ArrayBuffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The self-signed certificate (PEM) of `privateKey` for `gun`, valid from `now` for ten years. */
export function rootCertificatePem(privateKey: KeyObject, gun: string, now: Date): string {
  const algorithm = signatureAlgorithm(privateKey);
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const name = new Name([
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: gun }) })]),
  ]);
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + ROOT_CERTIFICATE_YEARS * NOTARY_YEAR_MS);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature: algorithm.id,
    issuer: name,
    validity: new Validity({ notBefore, notAfter }),
    subject: name,
    subjectPublicKeyInfo: AsnConvert.parse(spki, SubjectPublicKeyInfo),
    extensions: new Extensions([
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment)),
      extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_codeSigning])),
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
    ]),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign(algorithm.hash, tbsDer, privateKey); // DER ECDSA / PKCS#1 v1.5, as X.509 wants
  const der = Buffer.from(AsnConvert.serialize(new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm.id, signatureValue: toArrayBuffer(signature) })));
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
}

/** The root key as root.json lists it (`ecdsa-x509`/`rsa-x509`, the PEM as `public`), ready to sign root.json. */
export function rootCertificateKey(privateKey: KeyObject, gun: string, now: Date): SigningKey {
  const pem = rootCertificatePem(privateKey, gun, now);
  return { public: makeKey(signatureAlgorithm(privateKey).keytype, Buffer.from(pem, 'utf8'), `root certificate for ${gun}`), privateKey };
}
