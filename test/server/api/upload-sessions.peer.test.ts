/**
 * Upload sessions fail safe: an upload belongs to the repository and user
 * that started it (another user, an anonymous caller or another repository's
 * path gets the same 404 as for an id that never existed, and nothing is
 * appended or linked); each client has a cap of open sessions; abandoned
 * sessions and their bytes are purged. The ownership attacks are sent with
 * curl to a real listening registry with two htpasswd users.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { HtpasswdAuthenticator } from '../../../src/server/auth/htpasswd.js';
import { UploadPurger } from '../../../src/server/upload-purge.js';
import { UploadSessions } from '../../../src/server/upload-sessions.js';
import { runCommand } from '../../support/peers.js';
import { captureLog, type CapturedLog } from '../../support/registry-log.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../../support/registry-server.js';
import { digestOf, errorCode, makeRegistry } from './helpers.js';

interface CurlAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** One request with curl; `user` is `name:password`, or undefined for anonymous. */
async function curl(method: string, url: string, user: string | undefined, data?: string): Promise<CurlAnswer> {
  const args = ['-sS', '-i', '-X', method, ...(user ? ['-u', user] : []), ...(data !== undefined ? ['-H', 'Content-Type: application/octet-stream', '--data-binary', data] : []), url];
  const r = await runCommand('curl', args, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const split = r.stdout.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = r.stdout.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: r.stdout.slice(split + 4) };
}

const codeOf = (answer: CurlAnswer): string | undefined => (JSON.parse(answer.body) as { errors?: Array<{ code?: string }> }).errors?.[0]?.code;

describe('uploads belong to the repository and user that started them (two htpasswd users, curl)', () => {
  let registry: PortcullisRegistry;
  let captured: CapturedLog;
  let auth: HtpasswdAuthenticator;
  const ALICE = 'alice:alice-pw';
  const BOB = 'bob:bob-pw';

  before(async () => {
    captured = captureLog('debug');
    auth = new HtpasswdAuthenticator(
      new Map([
        ['alice', bcrypt.hashSync('alice-pw', 4)],
        ['bob', bcrypt.hashSync('bob-pw', 4)],
      ]),
      { anonymousPull: true },
    );
    registry = await startPortcullisRegistry({ auth, log: captured.log, limits: { maxUploadsPerClient: 3 } });
  });
  after(async () => {
    await registry?.close();
    await auth?.close();
  });

  test("another user or another repository's path: 404 BLOB_UPLOAD_UNKNOWN exactly as for an unknown id (anonymous: 401 for both); nothing appended or linked", async () => {
    const start = await curl('POST', `${registry.url}/v2/alice/app/blobs/uploads/`, ALICE);
    assert.equal(start.status, 202);
    const id = start.headers['docker-upload-uuid']!;
    const location = `${registry.url}/v2/alice/app/blobs/uploads/${id}`;
    assert.equal((await curl('PATCH', location, ALICE, 'first ')).status, 202);

    const unknownId = 'f'.repeat(32);
    const unknown = await curl('PATCH', `${registry.url}/v2/bob/app/blobs/uploads/${unknownId}`, BOB, 'evil');
    assert.equal(unknown.status, 404);
    const sameAsUnknown = (answer: CurlAnswer, what: string): void => {
      assert.equal(answer.status, 404, what);
      assert.equal(codeOf(answer), 'BLOB_UPLOAD_UNKNOWN', what);
      assert.equal(answer.body.replaceAll(id, unknownId), unknown.body, `${what}: the body tells nothing more than for an id that does not exist`);
      assert.equal(answer.headers.range, undefined, what);
    };
    const finishDigest = digestOf('first ');
    sameAsUnknown(await curl('PATCH', `${registry.url}/v2/bob/app/blobs/uploads/${id}`, BOB, 'evil'), "bob PATCHes alice's upload through his repository");
    sameAsUnknown(await curl('PUT', `${registry.url}/v2/bob/app/blobs/uploads/${id}?digest=${finishDigest}`, BOB), "bob finishes alice's upload into his repository");
    sameAsUnknown(await curl('PATCH', location, BOB, 'evil'), "bob PATCHes alice's upload through her repository");
    sameAsUnknown(await curl('GET', location, BOB), 'bob asks for its status');
    sameAsUnknown(await curl('DELETE', location, BOB), 'bob cancels it');
    // Uploads need push access, which anonymous pull does not give: the challenge, for a real id as for an unknown one.
    const anonymous = await curl('GET', location, undefined);
    assert.equal(anonymous.status, 401, 'an anonymous caller (anonymous pull is on) asks for its status');
    assert.equal(anonymous.body, (await curl('GET', `${registry.url}/v2/alice/app/blobs/uploads/${unknownId}`, undefined)).body);
    sameAsUnknown(await curl('PATCH', `${registry.url}/v2/alice/other/blobs/uploads/${id}`, ALICE, 'x'), 'alice herself, through another repository');

    const status = await curl('GET', location, ALICE);
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-5', 'nothing was appended by the refused requests');
    const whole = digestOf('first second');
    const done = await curl('PUT', `${location}?digest=${whole}`, ALICE, 'second');
    assert.equal(done.status, 201, done.body);
    assert.equal((await curl('GET', `${registry.url}/v2/bob/app/blobs/${finishDigest}`, BOB)).status, 404);
    assert.equal((await curl('GET', `${registry.url}/v2/bob/app/blobs/${whole}`, BOB)).status, 404, 'not linked into bob/app');
    assert.equal((await curl('GET', `${registry.url}/v2/alice/app/blobs/${whole}`, ALICE)).body, 'first second');

    const refused = captured.events('upload.refused');
    assert.equal(refused.length, 6, "bob five times, alice through another repository once (the anonymous caller never reaches the upload)");
    assert.deepEqual([...new Set(refused.map((l) => l.reason))].sort(), ['other principal', 'other repository']);
    assert.ok(refused.every((l) => l.upload === id && l.level === 'warn'));
  });

  test('each user may hold 3 open sessions (the configured cap): the 4th is 429 with Retry-After; cancelling frees a place; the cap is per user', async () => {
    const open: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await curl('POST', `${registry.url}/v2/alice/cap/blobs/uploads/`, ALICE);
      assert.equal(res.status, 202);
      open.push(res.headers.location!);
    }
    const refused = await curl('POST', `${registry.url}/v2/alice/cap/blobs/uploads/`, ALICE);
    assert.equal(refused.status, 429);
    assert.equal(codeOf(refused), 'TOOMANYREQUESTS');
    assert.match(refused.headers['retry-after'] ?? '', /^\d+$/);
    assert.equal((await curl('POST', `${registry.url}/v2/bob/cap/blobs/uploads/`, BOB)).status, 202, 'bob has his own places');
    assert.equal((await curl('DELETE', `${registry.url}${open[0]}`, ALICE)).status, 204);
    assert.equal((await curl('POST', `${registry.url}/v2/alice/cap/blobs/uploads/`, ALICE)).status, 202);
    assert.equal(captured.events('upload.limited').length, 1);
  });
});

describe('open sessions per client and purging', () => {
  test('1,100 POSTs from one anonymous client: 1,000 sessions (the default cap), 100 answered 429; a finished upload gives its place back', async (t) => {
    const r = await makeRegistry();
    t.after(() => r.close());
    const statuses: number[] = [];
    let first = '';
    for (let i = 0; i < 1100; i++) {
      const res = await r.app.inject({ method: 'POST', url: '/v2/flood/blobs/uploads/' });
      statuses.push(res.statusCode);
      if (i === 0) first = String(res.headers.location);
    }
    assert.equal(statuses.filter((s) => s === 202).length, 1000);
    assert.equal(statuses.filter((s) => s === 429).length, 100);
    assert.equal((await readdir(join(r.root, 'storage', 'uploads'))).length, 1000);
    const refused = await r.app.inject({ method: 'POST', url: `/v2/flood/blobs/uploads/?digest=${digestOf('x')}`, payload: 'x', headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(refused.statusCode, 429);
    assert.equal(errorCode(refused), 'TOOMANYREQUESTS');
    const finished = await r.app.inject({ method: 'PUT', url: `${first}?digest=${digestOf('x')}`, payload: 'x', headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(finished.statusCode, 201);
    assert.equal((await r.app.inject({ method: 'POST', url: '/v2/flood/blobs/uploads/' })).statusCode, 202);
  });

  test('sessions untouched for longer than the purge age are removed with their bytes (a crash remnant too); fresh ones stay; the cap counts them no more', async (t) => {
    const captured = captureLog('info');
    const uploads = new UploadSessions();
    const r = await makeRegistry({ uploads, limits: { maxUploadsPerClient: 4 } });
    t.after(() => r.close());
    const locations: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await r.app.inject({ method: 'POST', url: '/v2/app/blobs/uploads/' });
      assert.equal(res.statusCode, 202);
      locations.push(String(res.headers.location));
      if (i % 2 === 0) {
        const patch = await r.app.inject({ method: 'PATCH', url: locations[i]!, payload: Buffer.alloc(4096, i), headers: { 'content-type': 'application/octet-stream' } });
        assert.equal(patch.statusCode, 202);
      }
    }
    assert.equal((await r.app.inject({ method: 'POST', url: '/v2/app/blobs/uploads/' })).statusCode, 429, 'the cap is reached');
    // What a crash between creating the folder and writing its files leaves.
    const uploadsDir = join(r.root, 'storage', 'uploads');
    await mkdir(join(uploadsDir, 'deadbeef'.repeat(4)));
    await writeFile(join(uploadsDir, 'deadbeef'.repeat(4), 'state.json'), '{"id":"x"');
    assert.equal((await readdir(uploadsDir)).length, 5);

    const DAY = 24 * 3_600_000;
    const now = new UploadPurger({ blobs: r.services.blobs, sessions: uploads, log: captured.log });
    assert.equal(await now.run(), 0, 'nothing is a day old yet');
    assert.equal((await readdir(uploadsDir)).length, 5);
    assert.deepEqual(captured.events('upload.purged'), []);

    const later = new UploadPurger({ blobs: r.services.blobs, sessions: uploads, log: captured.log, now: () => new Date(Date.now() + DAY + 60_000) });
    assert.equal(later.ageMs, DAY, 'default age: 24 h');
    assert.equal(later.intervalMs, 3_600_000, 'checked hourly');
    assert.equal(await later.run(), 5);
    assert.deepEqual(await readdir(uploadsDir), [], 'sessions and their bytes are gone');
    for (const location of locations) {
      const res = await r.app.inject({ method: 'GET', url: location });
      assert.equal(res.statusCode, 404);
      assert.equal(errorCode(res), 'BLOB_UPLOAD_UNKNOWN');
    }
    const lines = captured.events('upload.purged');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.count, 5);
    assert.equal((await r.app.inject({ method: 'POST', url: '/v2/app/blobs/uploads/' })).statusCode, 202, 'the purged sessions no longer count against the cap');
  });
});
