/**
 * DSSE envelopes and in-toto statements — what `cosign attest` signs.
 *
 * DSSE v1: the signature is over PAE(payloadType, payload) =
 * `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in ASCII
 * decimal bytes. The envelope is `{payload: base64, payloadType, signatures:
 * [{keyid, sig: base64}]}`.
 * Spec: https://github.com/secure-systems-lab/dsse/blob/master/protocol.md
 *
 * in-toto Statement v1: `{_type, subject: [{name, digest: {sha256}}],
 * predicateType, predicate}`; v0.1 statements (cosign 1.x/2.x) are read too.
 * Spec: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
 */
import { isDigest, type Digest, isRecord } from '../../core/index.js';
import { SignatureError } from './errors.js';
import { base64Bytes, parseJson, record, str } from './json.js';

export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';

/** Predicate types for `--type`. */
export const PredicateType = {
  CycloneDX: 'https://cyclonedx.org/bom',
  Spdx: 'https://spdx.dev/Document',
  CosignVuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  CosignCustom: 'https://cosign.sigstore.dev/attestation/v1',
  CosignSign: 'https://sigstore.dev/cosign/sign/v1',
} as const;

export interface DsseSignature {
  readonly keyid: string;
  readonly sig: Buffer;
}

export interface DsseEnvelope {
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signatures: readonly DsseSignature[];
}

export interface StatementSubject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

export interface Statement {
  readonly type: string;
  readonly subject: readonly StatementSubject[];
  readonly predicateType: string;
  readonly predicate: unknown;
}

/** The pre-authentication encoding DSSE signs. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'utf8'), type, Buffer.from(` ${payload.length} `, 'utf8'), Buffer.from(payload)]);
}

/** Envelope JSON as cosign writes it (field order payloadType, payload, signatures). */
export function serializeEnvelope(envelope: DsseEnvelope): Buffer {
  return Buffer.from(
    JSON.stringify({
      payloadType: envelope.payloadType,
      payload: envelope.payload.toString('base64'),
      signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig.toString('base64') })),
    }),
    'utf8',
  );
}

export function envelopeFromJson(value: unknown, what = 'DSSE envelope'): DsseEnvelope {
  const json = record(value, what, 'ENVELOPE_INVALID');
  const payloadType = str(json.payloadType, `${what} payloadType`, 'ENVELOPE_INVALID');
  const payload = base64Bytes(json.payload, `${what} payload`, 'ENVELOPE_INVALID');
  if (!Array.isArray(json.signatures) || json.signatures.length === 0) throw new SignatureError('ENVELOPE_INVALID', `${what} has no signatures`);
  if (json.signatures.length > 16) throw new SignatureError('ENVELOPE_INVALID', `${what} has more than 16 signatures`);
  const signatures = json.signatures.map((s, i) => {
    const sig = record(s, `${what} signature ${i}`, 'ENVELOPE_INVALID');
    return { keyid: typeof sig.keyid === 'string' ? sig.keyid : '', sig: base64Bytes(sig.sig, `${what} signature ${i}`, 'ENVELOPE_INVALID') };
  });
  return { payloadType, payload, signatures };
}

export function parseEnvelope(bytes: Uint8Array): DsseEnvelope {
  return envelopeFromJson(parseJson(bytes, 'DSSE envelope', 'ENVELOPE_INVALID'));
}

/** An in-toto Statement v1 for one image digest, as `cosign attest` makes it. */
export function buildStatement(options: { name: string; digest: Digest; predicateType: string; predicate: unknown }): Buffer {
  const [algorithm, hex] = splitDigest(options.digest);
  return Buffer.from(
    JSON.stringify({
      _type: STATEMENT_V1,
      subject: [{ name: options.name, digest: { [algorithm]: hex } }],
      predicateType: options.predicateType,
      predicate: options.predicate,
    }),
    'utf8',
  );
}

export function parseStatement(bytes: Uint8Array): Statement {
  const what = 'in-toto statement';
  const json = record(parseJson(bytes, what, 'STATEMENT_INVALID'), what, 'STATEMENT_INVALID');
  const type = str(json._type, `${what} _type`, 'STATEMENT_INVALID');
  if (type !== STATEMENT_V1 && type !== STATEMENT_V01) throw new SignatureError('STATEMENT_INVALID', `${what} has _type "${type.slice(0, 80)}"`);
  if (!Array.isArray(json.subject) || json.subject.length === 0) throw new SignatureError('STATEMENT_INVALID', `${what} has no subject`);
  const subject = json.subject.map((s, i) => {
    const entry = record(s, `${what} subject ${i}`, 'STATEMENT_INVALID');
    const digest = record(entry.digest, `${what} subject ${i} digest`, 'STATEMENT_INVALID');
    const digests: Record<string, string> = {};
    for (const [k, v] of Object.entries(digest)) if (typeof v === 'string') digests[k.toLowerCase()] = v.toLowerCase();
    return { name: typeof entry.name === 'string' ? entry.name : '', digest: digests };
  });
  const predicateType = str(json.predicateType, `${what} predicateType`, 'STATEMENT_INVALID');
  return { type, subject, predicateType, predicate: json.predicate ?? null };
}

/** True when a subject of the statement names this digest. */
export function statementCovers(statement: Statement, digest: Digest): StatementSubject | undefined {
  const [algorithm, hex] = splitDigest(digest);
  return statement.subject.find((s) => s.digest[algorithm] === hex);
}

function splitDigest(digest: Digest): [string, string] {
  if (!isDigest(digest)) throw new SignatureError('STATEMENT_INVALID', `invalid digest "${String(digest)}"`);
  const at = digest.indexOf(':');
  return [digest.slice(0, at), digest.slice(at + 1)];
}

/** Predicates may be JSON values or, in old cosign statements, a JSON string. */
export function predicateObject(predicate: unknown): unknown {
  if (typeof predicate === 'string') {
    try {
      const parsed: unknown = JSON.parse(predicate);
      return isRecord(parsed) ? parsed : predicate;
    } catch {
      return predicate;
    }
  }
  return predicate;
}
