/**
 * The real notary CLI (Debian's notary 0.7.0) against our Notary service,
 * served by the registry app over HTTPS, as `portcullis serve` runs it: init → addhash → publish → list, a
 * second publish, a targets/releases delegation, snapshot handed to the
 * server (`key rotate <gun> snapshot -r`) — each checked with `notary list`
 * and with our own client (engine/notary).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { NotaryClient } from '../../../src/engine/notary/index.js';
import { openNotaryService } from '../../../src/server/notary/index.js';
import { parseKey, type JsonValue } from '../../../src/trust/tuf/index.js';
import { makeTls, notaryCli, parseNotaryList, randomTarget, type CliTarget } from '../../support/notary.js';
import { startPortcullisRegistry } from '../../support/registry-server.js';

const run = promisify(execFile);
let registry: { url: string; close(): Promise<void> };
let cli: CliTarget;
let home: string;
let work: string;
let closeNotary: () => Promise<void>;
const gun = '127.0.0.1:5000/team/app';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'notary-serve-'));
  const tls = await makeTls(join(work, 'tls'));
  const notary = await openNotaryService({ root: work });
  closeNotary = () => notary.close();
  registry = await startPortcullisRegistry({ notary, tls: { cert: tls.cert, key: tls.key } });
  cli = { server: registry.url, trustDir: join(work, 'trust'), ca: tls.ca };
  home = join(work, 'home');
});

after(async () => {
  await registry?.close();
  await closeNotary?.();
});

async function notaryOk(args: string[]): Promise<string> {
  const r = await notaryCli(cli, args);
  assert.equal(r.code, 0, `notary ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}

async function lookup(tag: string) {
  const client = await NotaryClient.open({ server: registry.url, caFile: cli.ca, home });
  try {
    return { signed: await client.lookupSignedTarget(gun, tag), versions: (await client.cache.load(gun))?.versions };
  } finally {
    await client.close();
  }
}

const one = randomTarget('latest');
const two = randomTarget('v2');
const three = randomTarget('v3');

test('init, addhash, publish, list: the CLI publishes and reads back through our server', async () => {
  await notaryOk(['init', gun]);
  await notaryOk(['addhash', gun, one.name, String(one.size), '--sha256', one.sha256]);
  await notaryOk(['publish', gun]);
  const rows = parseNotaryList(await notaryOk(['list', gun]));
  assert.deepEqual(rows, [{ name: 'latest', digest: one.sha256, size: one.size, role: 'targets' }]);
  const { signed } = await lookup('latest');
  assert.deepEqual(signed, { digest: `sha256:${one.sha256}`, size: one.size, role: 'targets' });
  assert.equal((await stat(join(work, 'notary', 'key-encryption.key'))).mode & 0o777, 0o600);
});

test('a second publish bumps the versions and lists both tags', async () => {
  const before = (await lookup('latest')).versions;
  await notaryOk(['addhash', gun, two.name, String(two.size), '--sha256', two.sha256]);
  await notaryOk(['publish', gun]);
  const rows = parseNotaryList(await notaryOk(['list', gun]));
  assert.deepEqual(rows.map((r) => [r.name, r.digest, r.size]).sort(), [['latest', one.sha256, one.size], ['v2', two.sha256, two.size]].sort());
  const after = await lookup('v2');
  assert.deepEqual(after.signed, { digest: `sha256:${two.sha256}`, size: two.size, role: 'targets' });
  for (const role of ['targets', 'snapshot', 'timestamp']) assert.ok((after.versions?.get(role) ?? 0) > (before?.get(role) ?? 0), role);
});

test('a targets/releases delegation added with the CLI signs what docker pull resolves', async () => {
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(work, 'releases.key')]);
  await run('openssl', ['req', '-new', '-x509', '-key', join(work, 'releases.key'), '-out', join(work, 'releases.crt'), '-days', '365', '-subj', '/CN=releases']);
  await notaryOk(['delegation', 'add', gun, 'targets/releases', join(work, 'releases.crt'), '--all-paths']);
  await notaryOk(['key', 'import', join(work, 'releases.key'), '-r', 'targets/releases']);
  await notaryOk(['publish', gun]);
  await notaryOk(['addhash', gun, two.name, String(two.size), '--sha256', two.sha256, '-r', 'targets/releases']);
  await notaryOk(['publish', gun]);
  const rows = parseNotaryList(await notaryOk(['list', gun, '-r', 'targets/releases']));
  assert.deepEqual(rows, [{ name: 'v2', digest: two.sha256, size: two.size, role: 'targets/releases' }]);
  assert.equal((await lookup('v2')).signed.role, 'targets/releases');
});

test('snapshot handed to the server (key rotate -r): later publishes are snapshotted by us', async () => {
  const rotated = await notaryOk(['key', 'rotate', gun, 'snapshot', '-r']);
  assert.match(rotated, /rotat|Successfully/i);
  await notaryOk(['addhash', gun, three.name, String(three.size), '--sha256', three.sha256]);
  await notaryOk(['publish', gun]);
  const rows = parseNotaryList(await notaryOk(['list', gun]));
  assert.ok(rows.some((r) => r.name === 'v3' && r.digest === three.sha256));
  assert.deepEqual((await lookup('v3')).signed, { digest: `sha256:${three.sha256}`, size: three.size, role: 'targets' });
  // The snapshot now served is signed by the key our server hands out as snapshot.key.
  const base = `${registry.url}/v2/${gun}/_trust/tuf`;
  const fetchJson = async (path: string) => JSON.parse((await run('curl', ['-sf', '--cacert', cli.ca, `${base}/${path}`])).stdout) as unknown;
  const key = parseKey((await fetchJson('snapshot.key')) as JsonValue, 'snapshot.key');
  const snapshot = (await fetchJson('snapshot.json')) as { signatures: Array<{ keyid: string }> };
  assert.deepEqual(snapshot.signatures.map((s) => s.keyid), [key.id]);
});

test('errors are notary-server answers; DELETE forgets the GUN', async () => {
  const base = `${registry.url}/v2/${gun}/_trust/tuf`;
  const get = async (path: string) => {
    const { stdout } = await run('curl', ['-s', '--cacert', cli.ca, '-o', '-', '-w', '\n%{http_code}', `${base}/${path}`]);
    const at = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
  };
  const missing = await get('99.targets.json');
  assert.equal(missing.status, 404);
  assert.equal((JSON.parse(missing.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'METADATA_NOT_FOUND');
  assert.equal((await get('1.root.json')).status, 200);
  assert.equal((await get('timestamp.key')).status, 200);
  const del = await run('curl', ['-s', '--cacert', cli.ca, '-X', 'DELETE', '-o', '/dev/null', '-w', '%{http_code}', `${base}/`]);
  assert.equal(del.stdout, '200');
  assert.equal((await get('root.json')).status, 404);
});
