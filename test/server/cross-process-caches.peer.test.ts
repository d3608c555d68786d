/**
 * What one `portcullis serve` process changes, another sharing its
 * PostgreSQL database sees at once (docs/serve.md, "Running several
 * processes"): two real processes A and B per registry, over a throwaway
 * PostgreSQL (test/support/postgres.ts) and one blob folder.
 * - With accounts: a robot revoked through A is refused by B on its next
 *   request, with Basic credentials and with a token B itself issued before
 *   (no cache outlives it); a project trust policy set through A makes B
 *   refuse a pull it served a moment before.
 * - With --require-signature and the Notary service: an image B refused as
 *   unsigned is served by B once the notary CLI published its signature
 *   through A, and refused by B again once the tag was removed from the
 *   trust data through A — B had cached its positive answer (minutes), so
 *   only the notification (logged by B at debug) can make it refuse.
 * - With --require-signature and the trust store: an image B refused as
 *   unsigned is served by B once `portcullis sign` pushed its signature
 *   through A.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, trustHome } from '../cli/trust/helpers.js';
import { notaryCli } from '../support/notary.js';
import { startPostgres, type PostgresPeer } from '../support/postgres.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';

const ADMIN_PASSWORD = 'admin-password-cross-1';
const PUBLIC_NAME = 'registry.test:5000';
let peer: PostgresPeer;
let work: string;
const running: ServeProcess[] = [];

before(async () => {
  peer = await startPostgres();
  work = await mkdtemp(join(tmpdir(), 'portcullis-cross-'));
});

after(async () => {
  for (const p of running) await p.stop();
  await peer?.stop();
  await rm(work, { recursive: true, force: true });
});

async function serve(args: readonly string[], env: NodeJS.ProcessEnv, logLevel = 'warn'): Promise<ServeProcess> {
  const p = await startServeProcess(args, { env, logLevel });
  running.push(p);
  return p;
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ADMIN = basic('admin', ADMIN_PASSWORD);
const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Pushes a one-blob image as `repository:tag`; returns its manifest's digest and size. */
async function pushImage(base: string, repository: string, tag: string, auth?: string): Promise<{ digest: string; size: number }> {
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed: randomBytes(8).toString('hex') }));
  const r = await fetch(`${base}/v2/${repository}/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', body: config, headers });
  assert.equal(r.status, 201, await r.text());
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] }),
  );
  const put = await fetch(`${base}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(put.status, 201, await put.text());
  return { digest: sha256(manifest), size: manifest.length };
}

/** A manifest GET: its status and, when refused, the registry's message. */
async function pull(base: string, reference: string, auth?: string): Promise<{ status: number; message: string }> {
  const r = await fetch(`${base}/v2/${reference}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json', ...(auth ? { authorization: auth } : {}) } });
  const text = await r.text();
  return { status: r.status, message: r.status === 200 ? '' : text };
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}/api/v1${path}`, { method, headers: { authorization: ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** Waits (bounded) until `check` holds; the bound only turns a hang into a failure. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('with accounts: identities and project settings', () => {
  let a: ServeProcess;
  let b: ServeProcess;

  before(async () => {
    const database = await peer.createDatabase();
    const args = ['--accounts', '--root', join(work, 'accounts-data'), '--metadata', database, '--no-scan', '--no-notary', '--no-ui'];
    a = await serve(args, { PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    b = await serve(args, { PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    const created = await api(a.url, 'POST', '/projects', { name: 'team' });
    assert.equal(created.status, 201, await created.text());
    await pushImage(a.url, 'team/app', 'v1', ADMIN);
  });

  test('a robot revoked through A is refused by B at its next request, by Basic and by a token B issued before', async () => {
    const made = await api(a.url, 'POST', '/projects/team/robots', { name: 'ci', actions: ['pull'] });
    assert.equal(made.status, 201);
    const { secret } = (await made.json()) as { secret: string };
    const robot = basic('robot$team+ci', secret);
    assert.equal((await pull(b.url, 'team/app/manifests/v1', robot)).status, 200);
    const issued = await fetch(`${b.url}/token?service=${encodeURIComponent(new URL(b.url).host)}&scope=repository:team/app:pull`, { headers: { authorization: robot } });
    assert.equal(issued.status, 200, await issued.clone().text());
    const bearer = `Bearer ${((await issued.json()) as { token: string }).token}`;
    assert.equal((await pull(b.url, 'team/app/manifests/v1', bearer)).status, 200, 'B has verified (and remembers) the token');

    const revoked = await api(a.url, 'DELETE', '/projects/team/robots/ci');
    assert.equal(revoked.status, 204, await revoked.text());
    assert.equal((await pull(b.url, 'team/app/manifests/v1', robot)).status, 401);
    assert.equal((await pull(b.url, 'team/app/manifests/v1', bearer)).status, 401);
  });

  test('a project trust policy set through A makes B refuse the pull it served a moment before', async () => {
    assert.equal((await pull(b.url, 'team/app/manifests/v1', ADMIN)).status, 200);
    const set = await api(a.url, 'PUT', '/projects/team/settings', { trustPolicy: { keys: ['root-certified'] } });
    assert.equal(set.status, 200, await set.text());
    const refused = await pull(b.url, 'team/app/manifests/v1', ADMIN);
    assert.equal(refused.status, 403);
    assert.match(refused.message, /project team has a trust policy, and this registry checks no signatures/);
  });
});

describe('with --require-signature: the Notary service', () => {
  let a: ServeProcess;
  let b: ServeProcess;

  before(async () => {
    const database = await peer.createDatabase();
    const keyFile = join(work, 'notary-kek');
    await writeFile(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const args = ['--root', join(work, 'notary-data'), '--metadata', database, '--no-scan', '--no-ui', '--require-signature', '--public-name', PUBLIC_NAME];
    const env = { PORTCULLIS_NOTARY_KEY_FILE: keyFile, HOME: join(work, 'home') };
    a = await serve(args, env);
    b = await serve(args, env, 'debug');
  });

  /** Waits until B logged the `count`th change of team/app heard from another process (the notification, not a TTL). */
  const heardByB = (count: number) => until(`B to hear change ${count}`, () => b.lines.filter((l) => l.event === 'invalidation' && l.repository === 'team/app').length >= count);

  test('published through A, seen by B: an unsigned image is served once signed, refused again once the signature is removed', async () => {
    const image = await pushImage(a.url, 'team/app', 'v1');
    const refusedFirst = await pull(b.url, 'team/app/manifests/v1');
    assert.equal(refusedFirst.status, 403);
    assert.match(refusedFirst.message, /remote trust data does not exist/);

    const gun = `${PUBLIC_NAME}/team/app`;
    const viaA = { server: a.url, trustDir: join(work, 'trust'), ca: '' };
    const notary = async (args: readonly string[]) => {
      const r = await notaryCli(viaA, args);
      assert.equal(r.code, 0, `notary ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    };
    await notary(['init', gun]);
    await notary(['addhash', gun, 'v1', String(image.size), '--sha256', image.digest.slice('sha256:'.length)]);
    await notary(['publish', gun]);
    await heardByB(1);
    assert.deepEqual(await pull(b.url, 'team/app/manifests/v1'), { status: 200, message: '' });
    assert.equal((await pull(b.url, 'team/app/manifests/v1')).status, 200, 'and B now has the answer cached');

    const published = b.lines.filter((l) => l.event === 'invalidation').length;
    await notary(['remove', gun, 'v1']);
    await notary(['publish', gun]);
    await until('B to hear the removal', () => b.lines.filter((l) => l.event === 'invalidation').length > published);
    const removed = await pull(b.url, 'team/app/manifests/v1');
    assert.equal(removed.status, 403, 'the cached positive answer is gone');
    assert.match(removed.message, /tag v1 is not signed in the Notary trust data/);
  });
});

describe('with --require-signature: a signature pushed', () => {
  let a: ServeProcess;
  let b: ServeProcess;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    env = await trustHome();
    const generated = await cli(['key', 'generate'], env);
    assert.equal(generated.code, 0, generated.stderr);
    const database = await peer.createDatabase();
    const args = ['--root', join(work, 'signed-data'), '--metadata', database, '--no-scan', '--no-ui', '--no-notary', '--require-signature'];
    a = await serve(args, env);
    // One registry has one name: the one signatures are made for (A's address, where the client signs).
    b = await serve([...args, '--public-name', new URL(a.url).host], env, 'debug');
  });

  test('signed through A, served by B, which refused it a moment before', async () => {
    await pushImage(a.url, 'team/app', 'v1');
    const refusedFirst = await pull(b.url, 'team/app/manifests/v1');
    assert.equal(refusedFirst.status, 403);
    assert.match(refusedFirst.message, /remote trust data does not exist/);
    const signed = await cli(['sign', `${new URL(a.url).host}/team/app:v1`, '--tls-verify=false'], env);
    assert.equal(signed.code, 0, signed.stderr);
    await until('B to hear the signature', () => b.lines.some((l) => l.event === 'invalidation' && l.repository === 'team/app' && l.kind === 'image'));
    assert.deepEqual(await pull(b.url, 'team/app/manifests/v1'), { status: 200, message: '' });
  });
});
