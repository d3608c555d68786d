/**
 * The pull policy with CVE allowlists and a project's trust policy
 * (policy.ts): findings the registry's trust policy allowlists do not count
 * against the registry's threshold until they expire (an expired entry is
 * named in the refusal); a project's allowlist excuses findings against the
 * project's own threshold only, never the registry's; a project trust policy
 * is handed to the signature check, and without one (no
 * --require-signature) the project's images are refused, not served unchecked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Digest } from '../../src/core/digest.js';
import type { Finding, ScanResult } from '../../src/core/finding.js';
import type { ManifestClassifier } from '../../src/server/artifact.js';
import { parseProjectSettings } from '../../src/server/gc/projects.js';
import { SqliteMetadataStore } from '../../src/server/metadata/sqlite.js';
import type { ManifestRecord } from '../../src/server/metadata/store.js';
import { createPullPolicy } from '../../src/server/policy.js';
import type { PolicyDecision } from '../../src/server/services.js';
import type { CveAllowlistEntry, PolicyEntry } from '../../src/trust/index.js';
import { FINDINGS } from '../report/fixtures.js';

const d = (c: string): Digest => `sha256:${c.repeat(64).slice(0, 64)}` as Digest;
const record = (repository: string, digest: Digest): ManifestRecord => ({ repository, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, references: [], pushedAt: '2026-01-01T00:00:00.000Z' });
const images = { classify: async () => ({ kind: 'image' as const, evidence: 'test' }) } as unknown as ManifestClassifier;
const NOW = new Date('2027-01-31T12:00:00Z');
const now = (): Date => NOW;
/** One CRITICAL known as GHSA-… with the CVE as its alias, one HIGH. */
const CRIT = d('c');

let work: string;
let metadata: SqliteMetadataStore;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-policy-allowlist-'));
  metadata = new SqliteMetadataStore(join(work, 'metadata.db'));
  const findings: Finding[] = [
    { ...FINDINGS[0]!, id: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2026-1000'], severity: 'CRITICAL' },
    { ...FINDINGS[0]!, id: 'CVE-2026-2000', aliases: [], severity: 'HIGH' },
  ];
  const result: ScanResult = { schemaVersion: 1, target: 'x', packageCounts: {}, findings, warnings: [], scannedAt: '2026-01-01T00:00:00.000Z' };
  await metadata.saveScan({ manifestDigest: CRIT, state: 'done', result, counts: { CRITICAL: 1, HIGH: 1 }, updatedAt: '2026-01-01T00:00:00.000Z' });
});

after(async () => {
  await metadata.close();
  rmSync(work, { recursive: true, force: true });
});

function refused(decision: PolicyDecision): { reason: string; kind?: string; summary?: string } {
  assert.equal(decision.allowed, false);
  if (decision.allowed) throw new Error('unreachable');
  return decision;
}

const entry = (id: string, expires: string): CveAllowlistEntry => ({ id, expires, reason: 'accepted risk' });

test('the registry allowlist excuses a finding (by alias) from the registry threshold until it expires; an expired entry is named', async () => {
  const allowed = createPullPolicy({ classifier: images, metadata, denySeverity: 'CRITICAL', allowlistFor: () => [entry('CVE-2026-1000', '2027-01-31')], now })!;
  assert.deepEqual(await allowed.check(record('team/app', CRIT)), { allowed: true });
  const high = createPullPolicy({ classifier: images, metadata, denySeverity: 'HIGH', allowlistFor: () => [entry('CVE-2026-1000', '2027-01-31')], now })!;
  const h = refused(await high.check(record('team/app', CRIT)));
  assert.match(h.reason, /has 1 HIGH vulnerability \(policy: deny HIGH and above\)$/, 'the allowlisted CRITICAL no longer counts; the HIGH does');
  assert.equal(h.summary, '1 HIGH (CVE-2026-2000)');
  const expired = createPullPolicy({ classifier: images, metadata, denySeverity: 'CRITICAL', allowlistFor: () => [entry('CVE-2026-1000', '2027-01-30')], now })!;
  const e = refused(await expired.check(record('team/app', CRIT)));
  assert.equal(e.kind, 'vulnerable');
  assert.match(e.reason, /has 1 CRITICAL vulnerability \(policy: deny CRITICAL and above\); cveAllowlist entry CVE-2026-1000 expired on 2027-01-30: ignored \(its findings count again\)$/);
});

test("a project's allowlist excuses findings from the project's threshold, never from the registry's", async () => {
  const projects = parseProjectSettings(
    'projects:\n  team:\n    denySeverity: HIGH\n    trustPolicy:\n      threshold: 0\n      cveAllowlist:\n        - {id: CVE-2026-1000, expires: 2027-12-31, reason: x}\n        - {id: CVE-2026-2000, expires: 2027-12-31, reason: x}\n',
    'test',
  );
  const signatures = async (): Promise<PolicyDecision> => ({ allowed: true });
  const projectOnly = createPullPolicy({ classifier: images, metadata, projects, requireSignature: signatures, now })!;
  assert.deepEqual(await projectOnly.check(record('team/app', CRIT)), { allowed: true }, 'both findings excused from the project rule');
  const withRegistry = createPullPolicy({ classifier: images, metadata, denySeverity: 'CRITICAL', projects, requireSignature: signatures, now })!;
  assert.match(refused(await withRegistry.check(record('team/app', CRIT))).reason, /has 1 CRITICAL vulnerability \(policy: deny CRITICAL and above\)$/);
});

test('a project trust policy goes to the signature check; without one the project\'s images are refused', async () => {
  const projects = parseProjectSettings('projects:\n  team:\n    trustPolicy:\n      keys: [abcdef123456]\n      attestations: [{type: vuln, maxAge: 7d}]\n', 'test');
  const seen: Array<PolicyEntry | undefined> = [];
  const signatures = async (_r: string, _d: Digest, _tag?: string, project?: PolicyEntry): Promise<PolicyDecision> => {
    seen.push(project);
    return project ? { allowed: false, reason: `${project.where}: attestation:vuln requirement not met` } : { allowed: true };
  };
  const policy = createPullPolicy({ classifier: images, metadata, projects, requireSignature: signatures })!;
  const team = refused(await policy.check(record('team/app', d('1'))));
  assert.equal(team.reason, 'project team policy: attestation:vuln requirement not met');
  assert.deepEqual(seen[0]?.keys, [{ kind: 'id', id: 'abcdef123456' }]);
  assert.equal(seen[0]?.attestations[0]?.maxAge, '7d');
  assert.deepEqual(await policy.check(record('other/app', d('1'))), { allowed: true });
  assert.equal(seen[1], undefined, 'other projects: the registry policy alone');

  const unchecked = createPullPolicy({ classifier: images, metadata, projects })!;
  const u = refused(await unchecked.check(record('team/app', d('1'))));
  assert.equal(u.kind, 'undecided');
  assert.match(u.reason, /^project team has a trust policy, and this registry checks no signatures \(start portcullis serve with --require-signature\)/);
});
