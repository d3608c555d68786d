/**
 * Every refusal of the pull policy carries the few words the web UI shows
 * after "refused: ", written by the policy itself: the counts at the refused
 * levels with the finding ids (a CVE alias preferred, three at most), or why
 * there is no evidence, or "unsigned" / "no trusted signature" from the
 * signature check. The long `reason` (what /v2 answers) is unchanged.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Digest } from '../../src/core/digest.js';
import type { Finding, ScanResult } from '../../src/core/finding.js';
import type { ManifestClassifier } from '../../src/server/artifact.js';
import { SqliteMetadataStore } from '../../src/server/metadata/sqlite.js';
import type { ManifestRecord } from '../../src/server/metadata/store.js';
import { createPullPolicy } from '../../src/server/policy.js';
import type { PolicyDecision } from '../../src/server/services.js';
import { FINDINGS } from '../report/fixtures.js';

const d = (c: string): Digest => `sha256:${c.repeat(64).slice(0, 64)}` as Digest;
const record = (digest: Digest): ManifestRecord => ({ repository: 'team/app', digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, references: [], pushedAt: '2026-01-01T00:00:00.000Z' });
/** Every manifest is an image (the classifier reads blobs; its rules are tested in artifact tests). */
const images = { classify: async () => ({ kind: 'image' as const, evidence: 'test' }) } as unknown as ManifestClassifier;

let work: string;
let metadata: SqliteMetadataStore;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-policy-summary-'));
  metadata = new SqliteMetadataStore(join(work, 'metadata.db'));
});

after(async () => {
  await metadata.close();
  rmSync(work, { recursive: true, force: true });
});

function refusal(decision: PolicyDecision): { summary?: string; reason: string; kind?: string } {
  assert.equal(decision.allowed, false);
  if (decision.allowed) throw new Error('unreachable');
  return decision;
}

async function saveDone(digest: Digest, findings: readonly Finding[]): Promise<void> {
  const result: ScanResult = { schemaVersion: 1, target: 'x', packageCounts: {}, findings, warnings: [], scannedAt: '2026-01-01T00:00:00.000Z' };
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  await metadata.saveScan({ manifestDigest: digest, state: 'done', result, counts, updatedAt: '2026-01-01T00:00:00.000Z' });
}

test('vulnerable: the counts at the refused levels and their ids, a CVE alias first, three at most', async () => {
  const policy = createPullPolicy({ classifier: images, metadata, denySeverity: 'HIGH' })!;
  const base = FINDINGS[0]!;
  await saveDone(d('1'), [
    { ...base, id: 'GHSA-xvch-5gv4-984h', aliases: ['CVE-2021-44906'], severity: 'CRITICAL' },
    { ...base, id: 'CVE-2022-0001', aliases: [], severity: 'HIGH' },
    { ...base, id: 'CVE-2022-0001', aliases: [], severity: 'HIGH' },
    { ...base, id: 'DSA-1', aliases: [], severity: 'LOW' },
  ]);
  const one = refusal(await policy.check(record(d('1'))));
  assert.equal(one.summary, '1 CRITICAL, 2 HIGH (CVE-2021-44906, CVE-2022-0001)');
  assert.match(one.reason, /has 1 CRITICAL, 2 HIGH vulnerabilities \(policy: deny HIGH and above\)$/);

  await saveDone(d('2'), ['A', 'B', 'C', 'D'].map((x) => ({ ...base, id: `GHSA-${x}`, aliases: [], severity: 'CRITICAL' as const })));
  assert.equal(refusal(await policy.check(record(d('2')))).summary, '4 CRITICAL (GHSA-A, GHSA-B, GHSA-C, …)');
});

test('no evidence: not scanned yet, scan failed, only partly scanned; a failing check cannot decide', async () => {
  const policy = createPullPolicy({ classifier: images, metadata, denySeverity: 'CRITICAL' })!;
  assert.equal(refusal(await policy.check(record(d('3')))).summary, 'not scanned yet');
  await metadata.saveScan({ manifestDigest: d('4'), state: 'failed', error: 'boom', updatedAt: '2026-01-01T00:00:00.000Z' });
  assert.equal(refusal(await policy.check(record(d('4')))).summary, 'scan failed');
  const partial: ScanResult = { schemaVersion: 1, target: 'x', packageCounts: {}, findings: [], warnings: [], incomplete: ['npm: failed'], scannedAt: '2026-01-01T00:00:00.000Z' };
  await metadata.saveScan({ manifestDigest: d('5'), state: 'done', result: partial, counts: {}, updatedAt: '2026-01-01T00:00:00.000Z' });
  assert.equal(refusal(await policy.check(record(d('5')))).summary, 'only partly scanned');
  const broken = createPullPolicy({ classifier: images, metadata, requireSignature: async () => Promise.reject(new Error('loopback down')) })!;
  const undecided = refusal(await broken.check(record(d('5'))));
  assert.equal(undecided.kind, 'undecided');
  assert.equal(undecided.summary, 'cannot decide (the check failed)');
});

test('signatures: the check\'s own summary, "no trusted signature" when it gave none; an allowed image carries nothing else', async () => {
  const unsigned = createPullPolicy({ classifier: images, metadata, requireSignature: async () => ({ allowed: false, reason: 'remote trust data does not exist for x', summary: 'unsigned' }) })!;
  assert.equal(refusal(await unsigned.check(record(d('6')))).summary, 'unsigned');
  const other = createPullPolicy({ classifier: images, metadata, requireSignature: async () => ({ allowed: false, reason: 'bad' }) })!;
  const refused = refusal(await other.check(record(d('6'))));
  assert.deepEqual([refused.kind, refused.summary], ['unsigned', 'no trusted signature']);
  const signed = createPullPolicy({ classifier: images, metadata, requireSignature: async () => ({ allowed: true }) })!;
  assert.deepEqual(await signed.check(record(d('6'))), { allowed: true });
});
