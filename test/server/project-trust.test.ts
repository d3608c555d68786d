/**
 * A project's trust policy at pull, end to end in process: `portcullis serve
 * --accounts --require-signature` (configured from its flags), the example
 * image copied, signed and attested with the CLI. The registry's policy (the
 * default: a root-certified signature) allows the signed image; once the
 * project's admin sets a trustPolicy requiring a vuln attestation younger
 * than 7 days, its pull is refused naming the project's rule, an attestation
 * made 8 days ago does not help, a fresh one does (the attestation's push
 * drops the cached verdict), and another project's image is unaffected.
 * Clearing the project's policy serves the image again at the next pull.
 * (It also keeps `--accounts` with `--require-signature` working: the
 * registry's loopback check trades its internal token for a bearer token
 * naming `<internal>`, which accounts once refused as an unknown subject, so
 * every pull was refused as undecided.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../src/server/open.js';
import { cli, trustHome } from '../cli/trust/helpers.js';
import { REPO_ROOT } from '../support/paths.js';

const ADMIN_PASSWORD = 'admin-password-trust-01';
const ALICE_PASSWORD = 'alice-password-trust-1';
const HELLO = `oci:${join(REPO_ROOT, 'examples', 'hello')}:latest`;
let work: string;
let env: NodeJS.ProcessEnv;
let registry: RunningRegistry;
let host: string;

const auth = (user: 'admin' | 'alice'): string => `Basic ${Buffer.from(`${user}:${user === 'admin' ? ADMIN_PASSWORD : ALICE_PASSWORD}`).toString('base64')}`;
const creds = ['--creds', `admin:${ADMIN_PASSWORD}`, '--tls-verify=false'];

async function pull(repository: string): Promise<{ status: number; message: string }> {
  const r = await fetch(`${registry.url}/v2/${repository}/manifests/1`, { headers: { authorization: auth('admin'), accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const body = await r.text();
  return { status: r.status, message: r.status === 200 ? '' : ((JSON.parse(body) as { errors: Array<{ message: string }> }).errors[0]?.message ?? '') };
}

async function settings(trustPolicy: unknown): Promise<void> {
  const r = await fetch(`${registry.url}/api/v1/projects/team/settings`, { method: 'PUT', headers: { authorization: auth('alice'), 'content-type': 'application/json' }, body: JSON.stringify({ trustPolicy }) });
  assert.equal(r.status, 200, await r.text());
}

async function attest(repository: string, ageMs: number): Promise<void> {
  const at = new Date(Date.now() - ageMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const file = join(work, `scan-${ageMs}.json`);
  await writeFile(file, JSON.stringify({ scanner: { result: { findings: [] } }, metadata: { scanStartedOn: at, scanFinishedOn: at } }));
  const r = await cli(['attest', `${host}/${repository}:1`, ...creds, '--type', 'vuln', '--predicate', file], env);
  assert.equal(r.code, 0, r.stderr);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-project-trust-'));
  env = { ...(await trustHome()), PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD };
  assert.equal((await cli(['key', 'generate'], env)).code, 0);
  const config = await buildConfig({ addr: '127.0.0.1:0', scan: false, notary: false, ui: false, accounts: true, requireSignature: true, root: join(work, 'data') }, { stdout: new PassThrough(), stderr: new PassThrough(), env });
  registry = await startRegistry(config);
  host = new URL(registry.url).host;
  const api = async (method: string, path: string, body: unknown): Promise<number> =>
    (await fetch(`${registry.url}${path}`, { method, headers: { authorization: auth('admin'), 'content-type': 'application/json' }, body: JSON.stringify(body) })).status;
  for (const project of ['team', 'other']) assert.equal(await api('POST', '/api/v1/projects', { name: project }), 201);
  assert.equal(await api('POST', '/api/v1/users', { name: 'alice', password: ALICE_PASSWORD }), 201);
  assert.equal(await api('PUT', '/api/v1/projects/team/members/alice', { role: 'admin' }), 200);
  for (const repository of ['team/app', 'other/app']) {
    const copied = await cli(['copy', HELLO, `docker://${host}/${repository}:1`, ...creds.map((c) => c.replace('--creds', '--dest-creds').replace('--tls-verify', '--dest-tls-verify'))], env);
    assert.equal(copied.code, 0, copied.stderr);
    const signed = await cli(['sign', `${host}/${repository}:1`, ...creds], env);
    assert.equal(signed.code, 0, signed.stderr);
  }
});

after(async () => {
  await registry?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test("a project's trust policy adds a required attestation: refused without one, with a stale one; served with a fresh one", async () => {
  assert.deepEqual(await pull('team/app'), { status: 200, message: '' }, 'the registry policy alone: signed is enough');
  await settings({ attestations: [{ type: 'vuln', maxAge: '7d' }] });
  const missing = await pull('team/app');
  assert.equal(missing.status, 403);
  assert.match(missing.message, new RegExp(`^${host.replace(/\./g, '\\.')}/team/app@sha256:[0-9a-f]{64}: project team policy: attestation:vuln requirement not met: no vuln attestation for `));
  assert.deepEqual(await pull('other/app'), { status: 200, message: '' }, 'another project is unaffected');

  await attest('team/app', 8 * 86_400_000);
  const stale = await pull('team/app');
  assert.equal(stale.status, 403);
  assert.match(stale.message, /project team policy: attestation:vuln requirement not met: the vuln attestation is from \S+, 8\.0d old, older than maxAge 7d$/);

  await attest('team/app', 3_600_000);
  assert.deepEqual(await pull('team/app'), { status: 200, message: '' });

  await settings({ keys: ['abcdef123456'] });
  const key = await pull('team/app');
  assert.equal(key.status, 403, 'a key that did not sign, required by the project');
  assert.match(key.message, /project team policy: signature requirement not met: 1 signature by key abcdef123456 required, 0 valid/);
  await settings(null);
  assert.deepEqual(await pull('team/app'), { status: 200, message: '' }, 'cleared: the next pull is served');
});
