/**
 * `portcullis serve` on S3 (Swift + s3api from ../shared/peers/s3.sh) with its
 * metadata in PostgreSQL, as several machines would run it: two serve
 * processes (and a third with --s3-redirect) share one bucket and one
 * database. Real clients: skopeo pushes and pulls byte-exact through different
 * processes and through redirects; a chunked upload whose PATCHes alternate
 * between processes; the same blob pushed through both processes at once; an
 * object corrupted in the bucket is never served complete and is logged.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../src/server/storage/s3-client.js';
import { peerImages, type PeerImages } from '../../support/peers.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { startS3, type S3Peer } from '../../support/s3.js';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.js';
import { forgetSkopeoBlobLocations, skopeoCopy } from '../../support/skopeo.js';

const MiB = 1024 * 1024;
const PREFIX = 'reg';
let s3: S3Peer;
let postgres: PostgresPeer;
let images: PeerImages;
let work: string;
let a: ServeProcess;
let b: ServeProcess;
let redirecting: ServeProcess;

before(async () => {
  [s3, postgres, images] = await Promise.all([startS3(), startPostgres(), peerImages('all')]);
  const database = await postgres.createDatabase();
  work = await mkdtemp(join(tmpdir(), 'portcullis-s3-serve-'));
  const env = { AWS_ACCESS_KEY_ID: s3.connection.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.connection.secretAccessKey };
  const serve = (name: string, extra: string[] = []): Promise<ServeProcess> =>
    startServeProcess(
      ['--root', join(work, name), '--storage', `s3://${s3.bucket}/${PREFIX}`, '--s3-endpoint', s3.connection.endpoint, '--metadata', database, '--no-scan', '--no-ui', '--no-notary', ...extra],
      { env, logLevel: 'info' },
    );
  a = await serve('a');
  [b, redirecting] = await Promise.all([serve('b'), serve('c', ['--s3-redirect'])]);
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop(), redirecting?.stop()]);
  await Promise.all([s3?.stop(), postgres?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

const host = (serve: ServeProcess): string => new URL(serve.url).host;
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Every blob file of an OCI layout, by name. */
async function layoutBlobs(dir: string): Promise<Map<string, Buffer>> {
  const folder = join(dir, 'blobs', 'sha256');
  const out = new Map<string, Buffer>();
  for (const name of await readdir(folder)) out.set(name, await readFile(join(folder, name)));
  return out;
}

function layoutDir(ref: string): string {
  return ref.replace(/^oci:/, '').replace(/:[^:]*$/, '');
}

/** POST, then PATCH chunks (each to the process given), then the closing PUT: the distribution API's chunked upload. */
async function chunkedPush(name: string, bytes: Buffer, chunks: Array<{ to: ServeProcess; size: number }>, close: ServeProcess): Promise<Response> {
  const start = await fetch(`${chunks[0]!.to.url}/v2/${name}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202, await start.text());
  let location = start.headers.get('location')!;
  let offset = 0;
  for (const chunk of chunks) {
    const body = bytes.subarray(offset, offset + chunk.size);
    const r = await fetch(new URL(location, chunk.to.url), {
      method: 'PATCH',
      body,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + body.length - 1}`, 'content-length': String(body.length) },
    });
    assert.equal(r.status, 202, await r.text());
    offset += body.length;
    assert.equal(r.headers.get('range'), `0-${offset - 1}`);
    location = r.headers.get('location')!;
  }
  const status = await fetch(new URL(location, close.url));
  assert.equal(status.status, 204);
  assert.equal(status.headers.get('range'), `0-${offset - 1}`, 'the other process sees the same upload');
  const url = new URL(location, close.url);
  url.searchParams.set('digest', sha256(bytes));
  return fetch(url, { method: 'PUT' });
}

test('skopeo pushes the Debian image through one process and pulls it byte-exact through the other, and through a redirect', async () => {
  forgetSkopeoBlobLocations();
  await skopeoCopy(images.debianOci, `docker://${host(a)}/s3/debian:bookworm`, ['--dest-tls-verify=false']);
  const source = await layoutBlobs(layoutDir(images.debianOci));
  for (const [label, from] of [['streamed', b], ['redirected', redirecting]] as const) {
    const out = join(work, `pull-${label}`);
    await skopeoCopy(`docker://${host(from)}/s3/debian:bookworm`, `oci:${out}:bookworm`, ['--src-tls-verify=false']);
    const pulled = await layoutBlobs(out);
    assert.deepEqual([...pulled.keys()].sort(), [...source.keys()].sort(), label);
    for (const [name, bytes] of source) assert.ok(pulled.get(name)!.equals(bytes), `${label}: blob ${name} byte-exact`);
  }
  assert.deepEqual(await s3.keys(`${PREFIX}/uploads/`), [], 'no upload left behind');
});

test('--s3-redirect: a blob GET is a 307 to a presigned S3 URL; HEAD is answered from the metadata', async () => {
  const bytes = randomBytes(3 * MiB);
  const digest = sha256(bytes);
  const put = await fetch(`${a.url}/v2/s3/redirect/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes });
  assert.equal(put.status, 201, await put.text());
  const get = await fetch(`${redirecting.url}/v2/s3/redirect/blobs/${digest}`, { redirect: 'manual' });
  assert.equal(get.status, 307);
  const location = get.headers.get('location') ?? '';
  assert.ok(location.startsWith(`${s3.connection.endpoint}/${s3.bucket}/${PREFIX}/blobs/sha256/`), location);
  assert.match(location, /X-Amz-Signature=/);
  assert.ok(Buffer.from(await (await fetch(location)).arrayBuffer()).equals(bytes), 'the presigned URL serves the bytes');
  const head = await fetch(`${redirecting.url}/v2/s3/redirect/blobs/${digest}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(bytes.length));
  const client = createS3Client(s3.connection);
  await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}/blobs/sha256/${digest.slice(7)}` }));
  client.destroy();
  const headAfter = await fetch(`${a.url}/v2/s3/redirect/blobs/${digest}`, { method: 'HEAD' });
  assert.equal(headAfter.status, 200, 'HEAD never asked S3: it still answers from the metadata once the object is gone');
  assert.equal(headAfter.headers.get('content-length'), String(bytes.length));
  const unknown = await fetch(`${redirecting.url}/v2/s3/redirect/blobs/${sha256(Buffer.from('never pushed'))}`, { redirect: 'manual' });
  assert.equal(unknown.status, 404, 'no redirect for a blob the repository does not link');
});

test('a resumable chunked upload with PATCHes on alternating processes is finished on either, byte-exact', async () => {
  const bytes = randomBytes(14 * MiB + 5);
  const put = await chunkedPush('s3/chunked', bytes, [{ to: a, size: 6 * MiB }, { to: b, size: 3 * MiB }, { to: a, size: 100 * 1024 }, { to: b, size: bytes.length }], b);
  assert.equal(put.status, 201, await put.text());
  const got = await fetch(`${a.url}/v2/s3/chunked/blobs/${sha256(bytes)}`);
  assert.equal(got.status, 200);
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(bytes));
  const ranged = await fetch(`${b.url}/v2/s3/chunked/blobs/${sha256(bytes)}`, { headers: { range: `bytes=${9 * MiB - 3}-${9 * MiB + 2}` } });
  assert.equal(ranged.status, 206);
  assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(9 * MiB - 3, 9 * MiB + 3)));
  const single = await chunkedPush('s3/chunked', bytes.subarray(0, 7 * MiB), [{ to: a, size: 7 * MiB }], b);
  assert.equal(single.status, 201);
  assert.deepEqual(await s3.keys(`${PREFIX}/uploads/`), []);
});

test('the same blob pushed through both processes at once: both succeed, the stored object is exactly the bytes', async () => {
  for (let round = 0; round < 3; round++) {
    const bytes = randomBytes(11 * MiB + round);
    const digest = sha256(bytes);
    const results = await Promise.all([
      chunkedPush(`s3/race-a`, bytes, [{ to: a, size: bytes.length }], a),
      chunkedPush(`s3/race-b`, bytes, [{ to: b, size: 5 * MiB }, { to: b, size: bytes.length }], b),
      fetch(`${a.url}/v2/s3/race-c/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes }),
    ]);
    for (const r of results) assert.equal(r.status, 201, await r.text());
    const client = createS3Client(s3.connection);
    const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}/blobs/sha256/${digest.slice(7)}` }));
    assert.ok(Buffer.from(await object.Body!.transformToByteArray()).equals(bytes), `round ${round}: the object in the bucket`);
    client.destroy();
    for (const [serve, name] of [[a, 's3/race-b'], [b, 's3/race-a']] as const) {
      assert.ok(Buffer.from(await (await fetch(`${serve.url}/v2/${name}/blobs/${digest}`)).arrayBuffer()).equals(bytes));
    }
  }
  // Two skopeo pushes of the same image through the two processes at once.
  forgetSkopeoBlobLocations();
  await Promise.all([
    skopeoCopy(images.tinyOci, `docker://${host(a)}/s3/tiny-a:latest`, ['--dest-tls-verify=false']),
    skopeoCopy(images.tinyOci, `docker://${host(b)}/s3/tiny-b:latest`, ['--dest-tls-verify=false']),
  ]);
  const out = join(work, 'pull-tiny');
  await skopeoCopy(`docker://${host(a)}/s3/tiny-b:latest`, `oci:${out}:latest`, ['--src-tls-verify=false']);
  const source = await layoutBlobs(layoutDir(images.tinyOci));
  for (const [name, bytes] of await layoutBlobs(out)) assert.ok(source.get(name)?.equals(bytes), name);
  assert.deepEqual(await s3.keys(`${PREFIX}/uploads/`), []);
});

test('an object corrupted in the bucket is never served complete, and is logged', async () => {
  const bytes = randomBytes(10 * MiB);
  const digest = sha256(bytes);
  const put = await fetch(`${a.url}/v2/s3/corrupt/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes });
  assert.equal(put.status, 201);
  const bad = Buffer.from(bytes);
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
  const client = createS3Client(s3.connection);
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}/blobs/sha256/${digest.slice(7)}`, Body: bad }));
  client.destroy();
  for (const serve of [a, b]) {
    const r = await fetch(`${serve.url}/v2/s3/corrupt/blobs/${digest}`);
    await assert.rejects(r.arrayBuffer(), 'the body is cut short of its Content-Length');
  }
  await new Promise((resolve) => setTimeout(resolve, 200)); // the log line is written as the stream fails
  const logged = a.lines.find((line) => line.event === 'blob.corrupt');
  assert.ok(logged, 'a blob.corrupt event in the log');
  assert.equal(logged.blob, digest);
  assert.equal(logged.actual, sha256(bad));
});
