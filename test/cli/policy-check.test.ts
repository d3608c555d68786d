/**
 * `portcullis policy check` against a loopback portcullis registry that
 * gates nothing (so the refused image can be read): the example image signed
 * and attested 8 days ago by the CLI in-process. The explanation names the
 * entry (file:line and globs), each requirement met or UNMET with why, the
 * allowlist (an expired entry flagged and noted), and exits 1 when refused,
 * 0 when allowed; JSON carries the same. A repository no entry matches gets
 * the default rule. `verify` and `copy --content-trust` show the expired
 * entry too (a note, a warning).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT } from '../support/paths.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../support/registry-server.js';
import { cli, trustHome } from './trust/helpers.js';

const HELLO = `oci:${join(REPO_ROOT, 'examples', 'hello')}:latest`;
const TLS = '--tls-verify=false';
let registry: PortcullisRegistry;
let env: NodeJS.ProcessEnv;
let work: string;
let policy: string;

before(async () => {
  registry = await startPortcullisRegistry();
  env = await trustHome();
  work = await mkdtemp(join(tmpdir(), 'portcullis-policy-check-'));
  assert.equal((await cli(['key', 'generate'], env)).code, 0);
  const ref = `${registry.host}/team/app:1`;
  assert.equal((await cli(['copy', HELLO, `docker://${ref}`, TLS], env)).code, 0);
  assert.equal((await cli(['sign', ref, TLS], env)).code, 0);
  const at = new Date(Date.now() - 8 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const predicate = join(work, 'scan.json');
  await writeFile(predicate, JSON.stringify({ scanner: { result: { findings: [{ id: 'CVE-2099-0001', severity: 'CRITICAL' }] } }, metadata: { scanStartedOn: at, scanFinishedOn: at } }));
  const attested = await cli(['attest', ref, TLS, '--type', 'vuln', '--predicate', predicate], env);
  assert.equal(attested.code, 0, attested.stderr);
  policy = join(work, 'policy.yaml');
  await writeFile(
    policy,
    `version: 1
repositories:
  - match: ${registry.host}/team/*
    attestations:
      - type: vuln
        maxAge: 30d
        condition: no CRITICAL finding
    cveAllowlist:
      - {id: CVE-2099-0001, expires: 2020-01-31, reason: was not reachable}
  - match: ${registry.host}/other/**
    action: allow
`,
  );
});

after(async () => {
  await registry?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('refused: the entry, each requirement with why, the expired allowlist entry; exit 1', async () => {
  const r = await cli(['policy', 'check', `${registry.host}/team/app:1`, TLS, '--policy', policy], env);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[2], `Entry:    ${policy}:3 (match ${registry.host}/team/*)`);
  assert.match(r.stdout, /\n {2}met {3}signature: cosign\+bundle: 1 valid signature by root-certified keys\n/);
  assert.match(r.stdout, /\n {2}UNMET attestation:vuln: the vuln attestation reports 1 finding\(s\) at CRITICAL or above \(CVE-2099-0001\), against "no CRITICAL finding"\n/);
  assert.match(r.stdout, /\n {2}expired CVE-2099-0001 until 2020-01-31: was not reachable\n/);
  assert.match(r.stdout, /\n {2}note {2}cveAllowlist entry CVE-2099-0001 expired on 2020-01-31: ignored \(its findings count again\)\n/);
  assert.match(r.stdout, /Decision: refused\n$/);
  assert.match(r.stderr, new RegExp(`refused by policy ${policy.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: attestation:vuln requirement not met`));

  const json = await cli(['policy', 'check', `${registry.host}/team/app:1`, TLS, '--policy', policy, '--format', 'json'], env);
  assert.equal(json.code, 1);
  const x = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.equal(x.decision, 'reject');
  assert.equal(x.allowed, false);
  assert.deepEqual(x.match, [`${registry.host}/team/*`]);
  assert.deepEqual(x.cveAllowlist, [{ id: 'CVE-2099-0001', expires: '2020-01-31', reason: 'was not reachable', expired: true }]);
  assert.equal(x.attestations, 2, 'attest writes both layouts: the tag and the referrer bundle');
});

test('an older maxAge fails on age first; a matching allow entry and the default rule explain themselves', async () => {
  const strict = join(work, 'strict.yaml');
  await writeFile(strict, `repositories:\n  - match: "**"\n    attestations: [{type: vuln, maxAge: 7d}]\n`);
  const r = await cli(['policy', 'check', `${registry.host}/team/app:1`, TLS, '--policy', strict, '--format', 'json'], env);
  assert.equal(r.code, 1);
  const req = (JSON.parse(r.stdout) as { requirements: Array<{ name: string; met: boolean; detail: string }> }).requirements[1]!;
  assert.equal(req.met, false);
  assert.match(req.detail, /^the vuln attestation is from \S+, 8\.0d old, older than maxAge 7d$/);

  assert.equal((await cli(['copy', HELLO, `docker://${registry.host}/other/app:1`, TLS], env)).code, 0);
  const allowed = await cli(['policy', 'check', `${registry.host}/other/app:1`, TLS, '--policy', policy], env);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stdout, /Action: {3}allow\n {2}\(nothing required\)\nDecision: allowed\n$/);

  const none = join(work, 'empty.yaml');
  await writeFile(none, 'version: 1\n');
  const unsigned = await cli(['policy', 'check', `${registry.host}/other/app:1`, TLS, '--policy', none], env);
  assert.equal(unsigned.code, 1);
  assert.match(unsigned.stdout, /Entry: {4}default \(no entry matches: a signature by a root-certified key of the trust store is required\)\n/);
  assert.match(unsigned.stdout, /UNMET signature: cosign\+bundle: no signature found for /);
});

test('verify and copy under content trust say so too when an allowlist entry has expired', async () => {
  const expired = join(work, 'expired.yaml');
  await writeFile(expired, `repositories:\n  - match: ${registry.host}/team/*\n    cveAllowlist: [{id: CVE-2000-0001, expires: 2020-01-31, reason: old}]\n`);
  const note = 'cveAllowlist entry CVE-2000-0001 expired on 2020-01-31: ignored (its findings count again)';
  const verified = await cli(['verify', `${registry.host}/team/app:1`, TLS, '--policy', expired], env);
  assert.equal(verified.code, 0, verified.stderr);
  assert.ok(verified.stdout.includes(`  note  ${note}\n`), verified.stdout);
  const copied = await cli(['copy', `docker://${registry.host}/team/app:1`, `oci:${join(work, 'copy')}:1`, TLS, '--content-trust', '--policy', expired], env);
  assert.equal(copied.code, 0, copied.stderr);
  assert.ok(copied.stderr.includes(`portcullis: warning: policy ${expired}:2: ${note}\n`), copied.stderr);
});
