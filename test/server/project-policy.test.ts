/**
 * The pull policy with per-project thresholds (policy.ts with a
 * ProjectSettingsProvider): the stricter of the registry's `denySeverity`
 * and the project's applies, and the refusal names whose rule it was; a
 * weaker project level has no effect; a project threshold refuses its
 * unscanned images even when the registry allows unscanned ones; settings
 * that cannot be read refuse (undecided); with no threshold anywhere the
 * manifest is not even classified.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Digest } from '../../src/core/digest.js';
import type { SeverityLevel } from '../../src/core/advisory.js';
import type { Finding, ScanResult } from '../../src/core/finding.js';
import type { ManifestClassifier } from '../../src/server/artifact.js';
import { parseProjectSettings } from '../../src/server/gc/projects.js';
import { SqliteMetadataStore } from '../../src/server/metadata/sqlite.js';
import type { ManifestRecord } from '../../src/server/metadata/store.js';
import { createPullPolicy } from '../../src/server/policy.js';
import type { PolicyDecision } from '../../src/server/services.js';
import { FINDINGS } from '../report/fixtures.js';

const d = (c: string): Digest => `sha256:${c.repeat(64).slice(0, 64)}` as Digest;
const record = (repository: string, digest: Digest): ManifestRecord => ({ repository, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, references: [], pushedAt: '2026-01-01T00:00:00.000Z' });
const images = { classify: async () => ({ kind: 'image' as const, evidence: 'test' }) } as unknown as ManifestClassifier;
/** `team` refuses HIGH and above, `lax` sets CRITICAL (weaker than HIGH), `other` nothing. */
const projects = parseProjectSettings('projects:\n  team:\n    denySeverity: HIGH\n  lax:\n    denySeverity: CRITICAL\n', 'test');

let work: string;
let metadata: SqliteMetadataStore;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-project-policy-'));
  metadata = new SqliteMetadataStore(join(work, 'metadata.db'));
  await saveDone(d('h'), 'HIGH');
  await saveDone(d('l'), 'LOW');
});

after(async () => {
  await metadata.close();
  rmSync(work, { recursive: true, force: true });
});

async function saveDone(digest: Digest, severity: SeverityLevel): Promise<void> {
  const findings: Finding[] = [{ ...FINDINGS[0]!, id: `CVE-2026-${severity}`, aliases: [], severity }];
  const result: ScanResult = { schemaVersion: 1, target: 'x', packageCounts: {}, findings, warnings: [], scannedAt: '2026-01-01T00:00:00.000Z' };
  await metadata.saveScan({ manifestDigest: digest, state: 'done', result, counts: { [severity]: 1 }, updatedAt: '2026-01-01T00:00:00.000Z' });
}

function refused(decision: PolicyDecision): { reason: string; kind?: string } {
  assert.equal(decision.allowed, false);
  if (decision.allowed) throw new Error('unreachable');
  return decision;
}

test('registry CRITICAL, project HIGH: the stricter applies to the project, named as its policy; other projects keep the registry rule', async () => {
  const policy = createPullPolicy({ classifier: images, metadata, denySeverity: 'CRITICAL', projects })!;
  const team = refused(await policy.check(record('team/app', d('h'))));
  assert.equal(team.kind, 'vulnerable');
  assert.match(team.reason, /has 1 HIGH vulnerability \(project team policy: deny HIGH and above\)$/);
  assert.deepEqual(await policy.check(record('other/app', d('h'))), { allowed: true });
  assert.deepEqual(await policy.check(record('team/app', d('l'))), { allowed: true }, 'LOW is under both thresholds');
});

test('registry HIGH, project CRITICAL: a weaker project level loosens nothing (the registry rule refuses, named as such)', async () => {
  const policy = createPullPolicy({ classifier: images, metadata, denySeverity: 'HIGH', projects })!;
  assert.match(refused(await policy.check(record('lax/app', d('h')))).reason, /\(policy: deny HIGH and above\)$/);
});

test('a project threshold refuses unscanned images of the project even when the registry allows unscanned ones', async () => {
  const policy = createPullPolicy({ classifier: images, metadata, denySeverity: 'CRITICAL', allowUnscanned: true, projects })!;
  const team = refused(await policy.check(record('team/app', d('0'))));
  assert.equal(team.kind, 'unscanned');
  assert.match(team.reason, /has not been scanned yet \(project team policy: deny HIGH and above, and images without a complete scan\)$/);
  assert.deepEqual(await policy.check(record('other/app', d('0'))), { allowed: true });
});

test('only projects have thresholds: a policy still exists; settings that cannot be read refuse as undecided', async () => {
  const policy = createPullPolicy({ classifier: images, metadata, projects });
  assert.ok(policy, 'a provider alone makes a policy');
  assert.equal(refused(await policy.check(record('team/app', d('h')))).kind, 'vulnerable');
  const broken = createPullPolicy({ classifier: images, metadata, projects: { settingsFor: async () => Promise.reject(new Error('database is locked')) } })!;
  const undecided = refused(await broken.check(record('team/app', d('l'))));
  assert.equal(undecided.kind, 'undecided');
  assert.match(undecided.reason, /database is locked/);
});

test('no threshold for the project and no signature rule: served without classifying the manifest', async () => {
  const unreadable = { classify: async () => Promise.reject(new Error('classified')) } as unknown as ManifestClassifier;
  const policy = createPullPolicy({ classifier: unreadable, metadata, projects })!;
  assert.deepEqual(await policy.check(record('other/app', d('h'))), { allowed: true });
  assert.equal(refused(await policy.check(record('team/app', d('h')))).kind, 'undecided', 'a thresholded project still classifies');
});
