/**
 * A project's own vulnerability threshold through `portcullis serve
 * --accounts` with scanning and no registry threshold (startRegistry from a
 * configuration file, over loopback): the bundled example image carries
 * lodash 4.17.x, and the advisory database holds CVE-2021-23337 (HIGH). The
 * project admin of `team` sets `denySeverity: HIGH` with the CLI; the real
 * scan then makes a pull of team/hello 403 DENIED naming the project's
 * policy, while the same image in `other` is served. Before its scan has
 * run, team's image is refused as unscanned; `other`'s is served (the
 * registry has no rule). The web UI shows team's image refused with the
 * same reason. Clearing the key serves team's image again.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import type { Digest } from '../../../src/core/digest.js';
import { startRegistry, type RunningRegistry } from '../../../src/server/open.js';
import { importPaths } from '../../../src/vuln/db.js';
import { runCli } from '../../support/cli.js';
import { writeAdvisories, type OsvAdvisory } from '../../support/osv.js';
import { DEBIAN_12_SAMPLE, REPO_ROOT } from '../../support/paths.js';
import { captureLog } from '../../support/registry-log.js';

const ADMIN_PASSWORD = 'admin-password-ppolicy-1';
const ALICE_PASSWORD = 'alice-password-ppolicy';
const HELLO = join(REPO_ROOT, 'examples', 'hello');
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const blob = (digest: string): Buffer => readFileSync(join(HELLO, 'blobs', ...digest.split(':')));
const LODASH = {
  id: 'GHSA-35jh-r3h4-6jhm',
  modified: '2024-03-15T05:02:08Z',
  aliases: ['CVE-2021-23337'],
  affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }],
  database_specific: { severity: 'HIGH' },
} as OsvAdvisory;

let work: string;
let registry: RunningRegistry;
const admin = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

async function api(method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${registry.url}${path}`, {
    method,
    headers: { authorization: admin, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  await response.arrayBuffer();
  return response.status;
}

async function pushHello(name: string): Promise<Digest> {
  const index = JSON.parse(readFileSync(join(HELLO, 'index.json'), 'utf8')) as { manifests: Array<{ digest: Digest; mediaType: string }> };
  const top = index.manifests[0]!;
  const manifest = blob(top.digest);
  const { config, layers } = JSON.parse(manifest.toString('utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
  for (const digest of [config.digest, ...layers.map((l) => l.digest)]) {
    const r = await fetch(`${registry.url}/v2/${name}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: blob(digest), headers: { authorization: admin } });
    assert.equal(r.status, 201, await r.text());
  }
  const r = await fetch(`${registry.url}/v2/${name}/manifests/latest`, { method: 'PUT', body: manifest, headers: { 'content-type': top.mediaType, authorization: admin } });
  assert.equal(r.status, 201, await r.text());
  return top.digest;
}

async function pull(name: string): Promise<{ status: number; error?: { code: string; message: string } }> {
  const r = await fetch(`${registry.url}/v2/${name}/manifests/latest`, { headers: { accept: MANIFEST, authorization: admin } });
  const text = await r.text();
  if (r.status === 200) return { status: 200 };
  return { status: r.status, error: (JSON.parse(text) as { errors: Array<{ code: string; message: string }> }).errors[0]! };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-project-policy-'));
  const config = join(work, 'portcullis.yaml');
  await writeFile(config, ['root: ./data', 'listen:', '  addr: 127.0.0.1:0', 'auth:', '  accounts: true', 'scan:', '  db: ./advisories.sqlite', '  rescanInterval: 0', 'notary:', '  enabled: false'].join('\n'));
  const built = await buildConfig({ config }, { stdout: new PassThrough(), stderr: new PassThrough(), env: { ...process.env, PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  registry = await startRegistry({ ...built, log: captureLog('info').log });
  for (const project of ['team', 'other']) assert.equal(await api('POST', '/api/v1/projects', { name: project }), 201);
  assert.equal(await api('POST', '/api/v1/users', { name: 'alice', password: ALICE_PASSWORD }), 201);
  assert.equal(await api('PUT', '/api/v1/projects/team/members/alice', { role: 'admin' }), 200);
});

after(async () => {
  await registry?.close();
  await rm(work, { recursive: true, force: true });
});

test("a project admin's denySeverity HIGH refuses the project's vulnerable and unscanned images; the same image elsewhere is served", async () => {
  const env = { PORTCULLIS_SERVER: registry.url, PORTCULLIS_USERNAME: 'alice', PORTCULLIS_PASSWORD: ALICE_PASSWORD, REGISTRY_AUTH_FILE: join(work, 'auth.json') };
  const set = await runCli(['registry', 'project', 'settings', 'team', '--deny-severity', 'high', '--format', 'json'], env);
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(JSON.parse(set.stdout), { quota: null, untaggedRetention: null, retention: null, denySeverity: 'HIGH', trustPolicy: null });

  // Pushed and not scanned yet (there is no advisory database yet): team's is refused, other's served.
  const digest = await pushHello('team/hello');
  await pushHello('other/hello');
  const unscanned = await pull('team/hello');
  assert.equal(unscanned.status, 403);
  assert.equal(unscanned.error?.code, 'DENIED');
  assert.match(unscanned.error?.message ?? '', new RegExp(`image ${digest} (is waiting to be scanned|has not been scanned yet|is being scanned).*\\(project team policy: deny HIGH and above, and images without a complete scan\\)`));
  assert.equal((await pull('other/hello')).status, 200, 'no registry rule: an unscanned image of another project is served');

  // Debian 12 data beside lodash's: the example image is Debian 12, and without its distribution the scan is incomplete.
  await importPaths(join(work, 'advisories.sqlite'), [writeAdvisories(join(work, 'lodash'), [LODASH]), DEBIAN_12_SAMPLE]);
  await registry.scanner!.checkDatabase();
  await registry.scanner!.idle();
  const vulnerable = await pull('team/hello');
  assert.equal(vulnerable.status, 403);
  assert.equal(vulnerable.error?.code, 'DENIED');
  assert.equal(vulnerable.error?.message, `image ${digest} has 1 HIGH vulnerability (project team policy: deny HIGH and above)`);
  assert.equal((await pull('other/hello')).status, 200, 'the same image in another project is served');
  // The web UI asks the same rules (live-config's verdicts).
  const page = await (await fetch(`${registry.url}/ui/r/team/hello`, { headers: { authorization: admin } })).text();
  assert.match(page, /data-verdict="refused" title="image [^"]+ \(project team policy: deny HIGH and above\)">refused: 1 HIGH \(CVE-2021-23337\)</);
  const elsewhere = await (await fetch(`${registry.url}/ui/r/other/hello`, { headers: { authorization: admin } })).text();
  assert.match(elsewhere, /data-verdict="served"/);
  assert.doesNotMatch(elsewhere, /data-verdict="refused"/);

  const cleared = await runCli(['registry', 'project', 'settings', 'team', '--deny-severity', 'none'], env);
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.equal((await pull('team/hello')).status, 200, 'no threshold any more: served at the next pull');
});

test('a level that is not a severity is 400 naming the key', async () => {
  const response = await fetch(`${registry.url}/api/v1/projects/team/settings`, {
    method: 'PUT',
    headers: { authorization: admin, 'content-type': 'application/json' },
    body: JSON.stringify({ denySeverity: 'SEVERE' }),
  });
  assert.equal(response.status, 400);
  const error = ((await response.json()) as { errors: Array<{ code: string; message: string }> }).errors[0];
  assert.deepEqual(error, { code: 'INVALID', message: 'denySeverity: one of CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE, UNKNOWN' });
});
