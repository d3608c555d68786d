/**
 * Reload without restart, on a real `portcullis serve --config` process:
 * the policy and the users in the file change, SIGHUP, and the registry
 * refuses what the new policy refuses and lets the new user in, with one
 * `config.reload` log line saying what changed; a change that needs a
 * restart is named in a warning and not applied; a file with a mistake is
 * logged as a failed reload and the running configuration stays whole; the
 * reloads are counted in the metrics.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { parseExposition, value } from '../support/exposition.js';

let work: string;
let server: ServeProcess;
const configPath = (): string => join(work, 'portcullis.yaml');
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ALICE = basic('alice', 'alice-pw');
const BOB = basic('bob', 'bob-pw');
const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function writeConfig(lines: readonly string[]): Promise<void> {
  await writeFile(configPath(), ['root: ./data', 'scan:', '  db: ./no-advisories-yet.sqlite', 'auth:', '  htpasswd: ./htpasswd', ...lines, ''].join('\n'));
}

async function writeUsers(users: Record<string, string>): Promise<void> {
  await writeFile(join(work, 'htpasswd'), Object.entries(users).map(([user, password]) => `${user}:${bcrypt.hashSync(password, 4)}\n`).join(''));
}

/** Sends SIGHUP and waits for the reload's log line. */
async function reload(): Promise<Record<string, unknown>> {
  const before = server.lines.filter((l) => l.event === 'config.reload').length;
  server.process.kill('SIGHUP');
  for (let i = 0; i < 100; i++) {
    const lines = server.lines.filter((l) => l.event === 'config.reload');
    if (lines.length > before) return lines.at(-1)!;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no config.reload line after SIGHUP: ${server.stderr()}`);
}

async function pushImage(name: string): Promise<string> {
  const layer = Buffer.from('not a tar, and that is fine for this test');
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  for (const blob of [config, layer]) {
    const r = await fetch(`${server.url}/v2/${name}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob, headers: { authorization: ALICE } });
    assert.equal(r.status, 201, await r.text());
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    }),
  );
  const r = await fetch(`${server.url}/v2/${name}/manifests/v1`, { method: 'PUT', body: manifest, headers: { authorization: ALICE, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(r.status, 201, await r.text());
  return sha256(manifest);
}

const pull = (name: string, auth = ALICE): Promise<Response> => fetch(`${server.url}/v2/${name}/manifests/v1`, { headers: { authorization: auth, accept: 'application/vnd.oci.image.manifest.v1+json' } });

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-reload-'));
  await writeUsers({ alice: 'alice-pw' });
  await writeConfig(['policy:', '  allowUnscanned: false']);
  server = await startServeProcess(['--config', configPath()], { logLevel: 'info' });
});

after(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

test('SIGHUP applies a new pull policy and new users at once, and says what changed', async () => {
  await pushImage('team/app');
  assert.equal((await pull('team/app')).status, 200, 'no policy yet: served');
  assert.equal((await fetch(`${server.url}/v2/`, { headers: { authorization: BOB } })).status, 401, 'bob is no user yet');

  await writeUsers({ alice: 'alice-pw', bob: 'bob-pw' });
  await writeConfig(['policy:', '  denySeverity: CRITICAL', '  allowUnscanned: false']);
  const line = await reload();
  assert.equal(line.outcome, 'applied');
  assert.equal(line.level, 'info');
  assert.deepEqual(line.changed, ['policy.denySeverity']);
  assert.equal(line.restartNeeded, undefined);

  const refused = await pull('team/app');
  assert.equal(refused.status, 403);
  const body = (await refused.json()) as { errors: Array<{ code: string; message: string }> };
  assert.equal(body.errors[0]?.code, 'DENIED');
  assert.match(body.errors[0]!.message, /waiting to be scanned.*policy: deny CRITICAL and above/);
  assert.equal((await fetch(`${server.url}/v2/`, { headers: { authorization: BOB } })).status, 200, 'bob signs in after the reload');
  assert.equal((await pull('team/app', BOB)).status, 403, 'and meets the same policy');
});

test('a changed key that needs a restart is named in a warning and keeps its running value', async () => {
  await writeConfig(['policy:', '  denySeverity: CRITICAL', 'uploads:', '  maxPerClient: 1', 'limits:', '  maxConns: 10']);
  const line = await reload();
  assert.equal(line.outcome, 'applied');
  assert.equal(line.level, 'warn');
  assert.deepEqual(line.changed, ['uploads.maxPerClient', 'limits.maxConns']);
  assert.deepEqual(line.restartNeeded, ['limits.maxConns']);
  assert.match(String(line.msg), /limits\.maxConns takes effect only after a restart/);
  // The upload cap changed live: one session open, the second refused.
  const first = await fetch(`${server.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization: ALICE } });
  assert.equal(first.status, 202);
  const second = await fetch(`${server.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization: ALICE } });
  assert.equal(second.status, 429);
  await fetch(new URL(first.headers.get('location')!, server.url), { method: 'DELETE', headers: { authorization: ALICE } });
  // Asked again, it is still waiting for the restart.
  const again = await reload();
  assert.deepEqual(again.restartNeeded, ['limits.maxConns']);
});

test('a file with a mistake is a failed reload: logged with the line, and the running configuration stays whole', async () => {
  await writeUsers({ alice: 'alice-pw' });
  await writeFile(configPath(), 'root: ./data\nscan:\n  workers: many\n');
  const line = await reload();
  assert.equal(line.outcome, 'failed');
  assert.equal(line.level, 'error');
  assert.match(String(line.error), /portcullis\.yaml:3:3: scan\.workers: expected a whole number from 1 to 64, got "many"/);
  assert.equal((await pull('team/app')).status, 403, 'the policy stays');
  assert.equal((await fetch(`${server.url}/v2/`, { headers: { authorization: BOB } })).status, 200, 'bob stays: nothing of the new files was applied');
  assert.equal(server.process.exitCode, null, 'still running');

  const metrics = parseExposition(await (await fetch(`${server.url}/metrics`, { headers: { authorization: ALICE } })).text());
  assert.equal(value(metrics, 'portcullis_config_reloads_total', { outcome: 'applied' }), 3);
  assert.equal(value(metrics, 'portcullis_config_reloads_total', { outcome: 'failed' }), 1);
  assert.ok(value(metrics, 'portcullis_pulls_denied_total', { reason: 'unscanned' }) >= 3, 'the refusals, by reason');
});
