/**
 * The OpenAPI document from a real `portcullis serve --accounts` process,
 * fetched with curl as any viewer would: 200, JSON, cacheable, no
 * credentials needed, valid by the official OpenAPI 3.1 schema, with the
 * package's version. Then curl calls every operation it documents, without
 * credentials: each answers a status the document lists for it (401 with
 * the challenge for every operation that needs a caller), never the API's
 * "no such endpoint" — the routes the real process has (open.ts's wiring)
 * are the ones documented. Without --accounts, the document has only gc and
 * itself.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { runCommand } from '../../../support/peers.js';
import { missingPeer } from '../../../support/require-peer.js';
import { startServeProcess, type ServeProcess } from '../../../support/serve-process.js';
import { packageJsonVersion } from './admin-registry.js';

interface Fetched {
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

interface Doc {
  readonly info: { readonly version: string };
  readonly paths: Record<string, Record<string, { readonly responses: Record<string, unknown>; readonly security?: unknown[] }>>;
}

let work: string;
let serve: ServeProcess;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'portcullis-openapi-peer-'));
  serve = await startServeProcess(['--accounts', '--root', join(work, 'root'), '--no-scan'], { env: { PORTCULLIS_ADMIN_PASSWORD: 'admin-password-peer-2' } });
});

after(async () => {
  await serve?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** curl's answer: status, headers, body; undefined (after missingPeer) when curl is not installed. */
async function curl(t: TestContext, method: string, url: string): Promise<Fetched | undefined> {
  const out = join(work, 'body');
  const res = await runCommand('curl', ['-s', '-X', method, '-D', '-', '-o', out, '-w', '%{http_code}', url]);
  if (res.code === 127) {
    missingPeer(t, 'curl');
    return undefined;
  }
  assert.equal(res.code, 0, res.stderr);
  const status = Number(res.stdout.slice(-3));
  return { status, headers: res.stdout.slice(0, -3), body: await readFile(out, 'utf8').catch(() => '') };
}

async function fetchDocument(t: TestContext, base: string): Promise<{ doc: Doc; fetched: Fetched } | undefined> {
  const fetched = await curl(t, 'GET', `${base}/api/v1/openapi.json`);
  if (!fetched) return undefined;
  return { doc: JSON.parse(fetched.body) as Doc, fetched };
}

test('curl fetches /api/v1/openapi.json without credentials: JSON, cacheable, valid OpenAPI 3.1, the package version', async (t) => {
  const got = await fetchDocument(t, serve.url);
  if (!got) return;
  assert.equal(got.fetched.status, 200);
  assert.match(got.fetched.headers, /^content-type: application\/json; charset=utf-8\r?$/im);
  assert.match(got.fetched.headers, /^cache-control: public, max-age=300\r?$/im);
  const result = await new Validator().validate(got.doc as unknown as Record<string, unknown>);
  assert.equal(result.valid, true, JSON.stringify(result.errors)?.slice(0, 2000));
  assert.equal(got.doc.info.version, await packageJsonVersion());
});

test('every operation the document lists is a route of the real process: without credentials, a documented status (401 with the challenge when it needs a caller)', async (t) => {
  const got = await fetchDocument(t, serve.url);
  if (!got) return;
  const host = new URL(serve.url).host;
  const operations = Object.entries(got.doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
  assert.equal(operations.length, 33, 'users, projects, project settings, members, robots, webhooks, the audit log, gc, /token and the document');
  for (const { path, method, op } of operations) {
    const sample: Record<string, string> = { project: 'team', user: 'alice', robot: 'ci', webhook: '0123456789abcdef', delivery: '00000000-0000-4000-8000-000000000000' };
    const url = `${serve.url}${path.replace(/\{(\w+)\}/g, (_m, name: string) => sample[name]!)}`;
    const res = await curl(t, method.toUpperCase(), url);
    if (!res) return;
    const where = `${method.toUpperCase()} ${path} → ${res.status} ${res.body.slice(0, 200)}`;
    assert.ok(String(res.status) in op.responses, `${where}: not a documented status`);
    assert.doesNotMatch(res.body, /no such endpoint/, where);
    if (op.security === undefined) {
      assert.equal(res.status, 401, where);
      assert.match(res.headers, new RegExp(`^www-authenticate: Bearer realm="http://${host}/token",service="${host}"\\r?$`, 'im'), where);
    }
  }
});

test('without --accounts the document describes only /api/v1/gc and itself, with no security', async (t) => {
  const plain = await startServeProcess(['--root', join(work, 'plain'), '--no-scan']);
  try {
    const got = await fetchDocument(t, plain.url);
    if (!got) return;
    assert.deepEqual(Object.keys(got.doc.paths).sort(), ['/api/v1/gc', '/api/v1/openapi.json']);
    assert.equal((got.doc as unknown as { security?: unknown }).security, undefined);
  } finally {
    await plain.stop();
  }
});
