/**
 * Required attestations enforced at registry pull: `portcullis serve
 * --require-signature --policy FILE` (configured from its flags) with a policy
 * that asks every image for a vulnerability-scan attestation younger than 7
 * days with no CRITICAL finding, and allowlists one CVE. Real skopeo pulls:
 *
 * - an image signed and attested 8 days ago (the predicate's signed scan
 *   time, as `portcullis attest` takes a cosign vuln predicate as given) is
 *   refused, and skopeo's message names the attestation and its age;
 * - one attested an hour ago whose only CRITICAL finding is allowlisted is
 *   served;
 * - one attested an hour ago with a CRITICAL finding the allowlist does not
 *   name is refused, naming the finding;
 * - `portcullis policy check` explains the allowed one rule by rule; asked
 *   about a refused one, it cannot even read the manifest (the registry's
 *   gate answers 403: exit 13 with the registry's reason).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../src/server/open.js';
import { cli, trustHome } from '../cli/trust/helpers.js';
import { peerImages, runCommand } from '../support/peers.js';
import { skopeoCopy } from '../support/skopeo.js';

const TLS = '--tls-verify=false';
const DAY = 86_400_000;
let work: string;
let env: NodeJS.ProcessEnv;
let registry: RunningRegistry;
let host: string;
let policyFile: string;

/** A cosign vuln predicate made `ageMs` ago, holding these findings (our scan JSON). */
function predicate(ageMs: number, findings: readonly { id: string; severity: string }[]): string {
  const at = new Date(Date.now() - ageMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return JSON.stringify({ scanner: { uri: 'https://portcullis.dev/scan', version: '1', result: { findings } }, metadata: { scanStartedOn: at, scanFinishedOn: at } });
}

before(async () => {
  const images = await peerImages();
  work = await mkdtemp(join(tmpdir(), 'portcullis-attestation-gate-'));
  env = await trustHome();
  const gen = await cli(['key', 'generate'], env);
  assert.equal(gen.code, 0, gen.stderr);
  await mkdir(join(work, 'out'));
  policyFile = join(work, 'policy.yaml');
  await writeFile(
    policyFile,
    `version: 1
repositories:
  - match: "**"
    attestations:
      - type: vuln
        maxAge: 7d
        condition: no CRITICAL finding
    cveAllowlist:
      - {id: CVE-2099-0001, expires: 2099-12-31, reason: not reachable in this image}
`,
  );
  const config = await buildConfig({ addr: '127.0.0.1:0', root: join(work, 'data'), scan: false, requireSignature: true, policy: policyFile }, { stdout: new PassThrough(), stderr: new PassThrough(), env });
  registry = await startRegistry(config);
  host = new URL(registry.url).host;
  const cases: Array<[string, number, { id: string; severity: string }[]]> = [
    ['demo/stale', 8 * DAY, []],
    ['demo/fresh', 3_600_000, [{ id: 'CVE-2099-0001', severity: 'CRITICAL' }, { id: 'CVE-2099-0003', severity: 'HIGH' }]],
    ['demo/critical', 3_600_000, [{ id: 'CVE-2099-0002', severity: 'CRITICAL' }]],
  ];
  for (const [repo, age, findings] of cases) {
    await skopeoCopy(images.tinyOci, `docker://${host}/${repo}:1`, ['--dest-tls-verify=false']);
    const signed = await cli(['sign', `${host}/${repo}:1`, TLS], env);
    assert.equal(signed.code, 0, signed.stderr);
    const file = join(work, `${repo.replace('/', '-')}.json`);
    await writeFile(file, predicate(age, findings));
    const attested = await cli(['attest', `${host}/${repo}:1`, TLS, '--type', 'vuln', '--predicate', file], env);
    assert.equal(attested.code, 0, attested.stderr);
  }
});

after(async () => {
  await registry?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function pull(repo: string): Promise<{ code: number; stderr: string }> {
  const r = await runCommand('skopeo', ['copy', '--src-tls-verify=false', `docker://${host}/${repo}:1`, `oci:${join(work, 'out', repo.replace('/', '-'))}:1`]);
  return { code: r.code, stderr: r.stderr };
}

test('an image whose vuln attestation is 8 days old is refused by skopeo pull, naming the attestation; a fresh one passes', async () => {
  const stale = await pull('demo/stale');
  assert.notEqual(stale.code, 0);
  assert.match(stale.stderr, /the vuln attestation is from \S+, 8\.0d old, older than maxAge 7d/);
  const fresh = await pull('demo/fresh');
  assert.equal(fresh.code, 0, fresh.stderr);
});

test('a fresh attestation with a CRITICAL finding the allowlist does not name is refused, naming it', async () => {
  const critical = await pull('demo/critical');
  assert.notEqual(critical.code, 0);
  assert.match(critical.stderr, /the vuln attestation reports 1 finding\(s\) at CRITICAL or above \(CVE-2099-0002\), against \\?"no CRITICAL finding\\?"/, 'skopeo escapes the quotes');
});

test('policy check explains the served image rule by rule; the refused one is refused to it by the registry', async () => {
  const stale = await cli(['policy', 'check', `${host}/demo/stale:1`, TLS, '--policy', policyFile, '--format', 'json'], env);
  assert.equal(stale.code, 13, stale.stderr);
  assert.match(stale.stderr, /the registry refused to serve it: .*older than maxAge 7d/);
  const json = await cli(['policy', 'check', `${host}/demo/fresh:1`, TLS, '--policy', policyFile, '--format', 'json'], env);
  assert.equal(json.code, 0, json.stderr);
  const x = JSON.parse(json.stdout) as { entry: string; decision: string; requirements: Array<{ name: string; met: boolean; detail: string }> };
  assert.equal(x.entry, `${policyFile}:3`);
  assert.equal(x.decision, 'allow');
  assert.deepEqual(x.requirements.map((r) => [r.name, r.met]), [['signature', true], ['attestation:vuln', true]]);
  const fresh = await cli(['policy', 'check', `${host}/demo/fresh:1`, TLS, '--policy', policyFile], env);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stdout, /met {3}attestation:vuln: a valid vuln attestation younger than 7d with no CRITICAL finding \(1 allowlisted: CVE-2099-0001\)/);
  assert.match(fresh.stdout, /allow {3}CVE-2099-0001 until 2099-12-31: not reachable in this image/);
  assert.match(fresh.stdout, /Decision: allowed/);
});
