/**
 * The webhook events and their JSON bodies, as pure functions of what
 * happened (docs/serve.md "Webhooks" shows one body of each). Every body is
 * one envelope:
 *
 *   {"id","event","occurredAt","registry","project","repository","actor"?,"data":{…}}
 *
 * `id` names the event: every webhook told about it gets the same one, and a
 * redelivery sends the same body again, so a receiver deduplicates on it.
 * (`X-Portcullis-Delivery` names the delivery instead.) `data` is the
 * event's own part, described by the `…Data` types below; fields are only
 * ever added to it.
 *
 * What the bodies may carry is bounded here: a vulnerability event lists at
 * most MAX_VULNERABILITIES findings (most severe first) and says how many it
 * left out, strings that come from pushers (tags, annotations, errors) are
 * cut to a length, so one event never makes a body of megabytes.
 */
import { randomUUID } from 'node:crypto';
import { SEVERITY_LEVELS, type Digest, type Finding, type SeverityLevel } from '../../core/index.js';
import type { ManifestRecord } from '../metadata/store.js';
import type { ScanCompleted, ScanFailed } from '../services.js';

export const WEBHOOK_EVENTS = ['push', 'delete', 'scan.completed', 'scan.failed', 'vulnerability.new', 'vulnerability.fixed', 'pull.denied', 'signature.added'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export function isWebhookEvent(value: unknown): value is WebhookEvent {
  return typeof value === 'string' && (WEBHOOK_EVENTS as readonly string[]).includes(value);
}

/** Findings listed in one vulnerability event at most; the rest are counted in `omitted`. */
export const MAX_VULNERABILITIES = 1000;
const MAX_TEXT = 1024;

export interface PushData {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly tag?: string;
  readonly artifactType?: string;
  readonly subject?: Digest;
  /** `registry/repository:tag`, or `@digest` without a tag: what a client pulls. */
  readonly reference: string;
}

export interface DeleteData {
  readonly digest: Digest;
  /** Set when only this tag went (the manifest stays); absent when the manifest itself was deleted. */
  readonly tag?: string;
}

export interface ScanCompletedData {
  readonly digest: Digest;
  /** Findings by severity, every level present. */
  readonly counts: Readonly<Record<SeverityLevel, number>>;
  readonly findings: number;
  /** What the scan could not read (a partial result, which the pull policy refuses); empty when complete. */
  readonly incomplete: readonly string[];
  /** When the advisory database the scan used was imported. */
  readonly databaseUpdatedAt?: string;
}

export interface ScanFailedData {
  readonly digest: Digest;
  readonly error: string;
}

export interface PullDeniedData {
  readonly digest: Digest;
  readonly tag?: string;
  readonly reason: string;
  /** `vulnerable`, `unsigned`, `unscanned`, `scan_failed`, `scan_partial` or `undecided`. */
  readonly kind: string;
}

/** How a signature was attached: cosign's `sha256-<hex>.sig` tag, a Sigstore bundle referrer, cosign's referrer, or a Notation signature. */
export type SignatureFormat = 'cosign-tag' | 'sigstore-bundle' | 'cosign-referrer' | 'notation';

export interface SignatureAddedData {
  /** The signed image (or index). */
  readonly subject: Digest;
  /** The manifest that carries the signature. */
  readonly digest: Digest;
  readonly format: SignatureFormat;
  readonly tag?: string;
}

export interface VulnerabilityView {
  /** The CVE when there is one, else the advisory's id. */
  readonly id: string;
  readonly aliases: readonly string[];
  readonly severity: SeverityLevel;
  readonly title?: string;
  readonly status: string;
  readonly fixedVersion?: string;
  readonly url?: string;
  readonly package: { readonly name: string; readonly version: string; readonly ecosystem: string; readonly purl: string; readonly path: string };
  /** The layer that brought the package in, and the command that made it. */
  readonly layer?: { readonly index: number; readonly digest: Digest; readonly createdBy?: string };
}

export interface VulnerabilityData {
  readonly digest: Digest;
  readonly vulnerabilities: readonly VulnerabilityView[];
  /** Findings left out past MAX_VULNERABILITIES (the least severe). */
  readonly omitted: number;
  readonly databaseUpdatedAt?: string;
}

export interface EventData {
  readonly push: PushData;
  readonly delete: DeleteData;
  readonly 'scan.completed': ScanCompletedData;
  readonly 'scan.failed': ScanFailedData;
  readonly 'vulnerability.new': VulnerabilityData;
  readonly 'vulnerability.fixed': VulnerabilityData;
  readonly 'pull.denied': PullDeniedData;
  readonly 'signature.added': SignatureAddedData;
}

export interface EventEnvelope<E extends WebhookEvent = WebhookEvent> {
  readonly id: string;
  readonly event: E;
  readonly occurredAt: string;
  /** The registry's public name (`host[:port]`), as clients name images. */
  readonly registry: string;
  readonly project: string;
  readonly repository: string;
  /** Who did it (user or robot name), when a request did it. */
  readonly actor?: string;
  readonly data: EventData[E];
}

/** An event about one repository, before it is addressed to webhooks. */
export interface RegistryEvent<E extends WebhookEvent = WebhookEvent> {
  readonly event: E;
  readonly repository: string;
  readonly actor?: string;
  readonly data: EventData[E];
}

export function envelope<E extends WebhookEvent>(happened: RegistryEvent<E>, context: { readonly registry: string; readonly project: string; readonly occurredAt: string; readonly id?: string }): EventEnvelope<E> {
  return {
    id: context.id ?? randomUUID(),
    event: happened.event,
    occurredAt: context.occurredAt,
    registry: context.registry,
    project: context.project,
    repository: happened.repository,
    ...(happened.actor !== undefined ? { actor: cut(happened.actor) } : {}),
    data: happened.data,
  };
}

export function pushData(record: ManifestRecord, registry: string, tag?: string): PushData {
  return {
    digest: record.digest,
    mediaType: cut(record.mediaType),
    size: record.size,
    ...(tag !== undefined ? { tag } : {}),
    ...(record.artifactType !== undefined ? { artifactType: cut(record.artifactType) } : {}),
    ...(record.subject !== undefined ? { subject: record.subject } : {}),
    reference: `${registry}/${record.repository}${tag !== undefined ? `:${tag}` : `@${record.digest}`}`,
  };
}

export function scanCompletedData(scan: ScanCompleted): ScanCompletedData {
  const counts = Object.fromEntries(SEVERITY_LEVELS.map((s) => [s, scan.counts[s] ?? 0])) as Record<SeverityLevel, number>;
  return {
    digest: scan.manifestDigest,
    counts,
    findings: SEVERITY_LEVELS.reduce((n, s) => n + counts[s], 0),
    incomplete: scan.incomplete.slice(0, 100).map((i) => cut(i)),
    ...(scan.database.importedAt !== undefined ? { databaseUpdatedAt: scan.database.importedAt } : {}),
  };
}

export function scanFailedData(scan: ScanFailed): ScanFailedData {
  return { digest: scan.manifestDigest, error: cut(scan.error) };
}

/** The findings of a vulnerability event, most severe first, at most MAX_VULNERABILITIES. */
export function vulnerabilityData(digest: Digest, findings: readonly Finding[], databaseUpdatedAt?: string): VulnerabilityData {
  const sorted = [...findings].sort((a, b) => SEVERITY_LEVELS.indexOf(a.severity) - SEVERITY_LEVELS.indexOf(b.severity) || compareText(a.id, b.id) || compareText(a.package.name, b.package.name));
  const kept = sorted.slice(0, MAX_VULNERABILITIES);
  return {
    digest,
    vulnerabilities: kept.map(vulnerabilityView),
    omitted: sorted.length - kept.length,
    ...(databaseUpdatedAt !== undefined ? { databaseUpdatedAt } : {}),
  };
}

export function vulnerabilityView(finding: Finding): VulnerabilityView {
  const p = finding.package;
  return {
    id: cut(finding.id),
    aliases: finding.aliases.slice(0, 20).map(cut),
    severity: finding.severity,
    ...(finding.title !== undefined ? { title: cut(finding.title) } : {}),
    status: finding.status,
    ...(finding.fixedVersion !== undefined ? { fixedVersion: cut(finding.fixedVersion) } : {}),
    ...(finding.primaryUrl !== undefined ? { url: cut(finding.primaryUrl) } : {}),
    package: { name: cut(p.name), version: cut(p.version), ecosystem: p.ecosystem, purl: cut(p.purl), path: cut(p.path) },
    ...(finding.layer
      ? { layer: { index: finding.layer.index, digest: finding.layer.digest, ...(finding.layerCreatedBy !== undefined ? { createdBy: cut(finding.layerCreatedBy) } : {}) } }
      : {}),
  };
}

const COSIGN_SIGNATURE_TAG = /^sha256-([0-9a-f]{64})\.sig$/;
const SIGSTORE_BUNDLE = /^application\/vnd\.dev\.sigstore\.bundle(\.v0\.\d+\+json|\+json(;.*)?)$/;
const COSIGN_REFERRER = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const NOTATION = 'application/vnd.cncf.notary.signature';
/** cosign's predicate type for a plain signature wrapped as a statement; any other predicate is an attestation. */
const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

/**
 * The signature a pushed manifest is, when it is one: a cosign `.sig` tag
 * (its subject is in the tag), or a referrer (its `subject`) whose artifact
 * type is a Sigstore bundle that signs (a message signature, or a statement
 * of cosign's signing predicate: attestations are not signatures), cosign's
 * referrer signature, or a Notation signature.
 */
export function signatureOf(record: ManifestRecord, tag?: string): SignatureAddedData | undefined {
  const tagged = tag !== undefined ? COSIGN_SIGNATURE_TAG.exec(tag) : null;
  if (tagged) return { subject: `sha256:${tagged[1]!}`, digest: record.digest, format: 'cosign-tag', tag };
  if (record.subject === undefined || record.artifactType === undefined) return undefined;
  const base = { subject: record.subject, digest: record.digest, ...(tag !== undefined ? { tag } : {}) };
  if (SIGSTORE_BUNDLE.test(record.artifactType)) {
    const predicate = record.annotations?.['dev.sigstore.bundle.predicateType'];
    return predicate === undefined || predicate === COSIGN_SIGN_PREDICATE ? { ...base, format: 'sigstore-bundle' } : undefined;
  }
  if (record.artifactType === COSIGN_REFERRER) return { ...base, format: 'cosign-referrer' };
  if (record.artifactType === NOTATION) return { ...base, format: 'notation' };
  return undefined;
}

export function cut(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
