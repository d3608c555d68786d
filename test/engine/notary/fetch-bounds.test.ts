/**
 * A hostile Notary server against the metadata fetcher: every number that
 * sizes the work (the root version, the lengths in timestamp and snapshot,
 * the delegations listed) comes from files not yet verified, so each must be
 * capped before it is used. The server is a stub on 127.0.0.1 that answers
 * whatever is asked, and counts.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { MAX_DELEGATIONS, MAX_ROOT_ROTATIONS, MetadataFetcher } from '../../../src/engine/notary/index.js';
import { HttpError, HttpFetcher } from '../../../src/http/index.js';
import { generateSigningKey, publicKeyJson, TufError } from '../../../src/trust/tuf/index.js';
import { buildRepo } from '../../trust/tuf/fixtures.js';

const gun = 'registry.example/team/app';
const LIMITS = { rootBytes: 1 << 20, timestampBytes: 1 << 20, otherBytes: 256 << 10 };
const rootKey = generateSigningKey('ecdsa');

type Answer = (file: string) => Buffer | 'endless' | undefined;
let answer: Answer = () => undefined;
const asked: string[] = [];
let sent = 0;
let server: Server;
let http: HttpFetcher;

before(async () => {
  server = createServer((req, res) => {
    const file = (req.url ?? '').replace(`/v2/${gun}/_trust/tuf/`, '');
    asked.push(file);
    const body = answer(file);
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    if (body !== 'endless') return void res.end(body);
    const chunk = Buffer.alloc(64 << 10, 0x20);
    const pump = (): void => {
      // At most 64 MiB, so a fetcher without the cap fails the test instead of hanging it.
      while (sent < 64 << 20) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  http = new HttpFetcher({ retries: 0, deadlineMs: 30_000 });
});

after(async () => {
  await http.close();
  await new Promise((resolve) => server.close(resolve));
});

const fetcher = () => new MetadataFetcher(http, new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), LIMITS);

function reset(next: Answer): void {
  answer = next;
  asked.length = 0;
  sent = 0;
}

test(`a root claiming a version far ahead is refused before a single N.root.json is asked (at most ${MAX_ROOT_ROTATIONS} rotations)`, async () => {
  const far = buildRepo({ gun, rootKeys: [rootKey], rootVersion: 200 });
  reset((file) => (file.endsWith('root.json') ? far.root : undefined));
  await assert.rejects(fetcher().fetchRepository(gun, 1), (e: unknown) => e instanceof TufError && e.code === 'ROOT_ROTATION_INVALID' && /claims version 200/.test(e.message));
  assert.deepEqual(asked, ['root.json']);
  // Within the bound the chain is fetched, one file per version.
  const near = buildRepo({ gun, rootKeys: [rootKey], rootVersion: 4 });
  reset((file) => (file.endsWith('root.json') ? near.root : undefined));
  await assert.rejects(fetcher().fetchRepository(gun, 1), (e: unknown) => e instanceof HttpError && e.code === 'NOT_FOUND');
  assert.deepEqual(asked, ['root.json', '2.root.json', '3.root.json', 'timestamp.json']);
});

test('a snapshot length of 2^45 in timestamp caps nothing: the endless snapshot stops at otherBytes', async () => {
  const repo = buildRepo({ gun, rootKeys: [rootKey] });
  const timestamp = JSON.parse(repo.timestamp.toString()) as { signed: { meta: { snapshot: { length: number } } } };
  timestamp.signed.meta.snapshot.length = 2 ** 45;
  reset((file) => (file === 'root.json' ? repo.root : file === 'timestamp.json' ? Buffer.from(JSON.stringify(timestamp)) : file === 'snapshot.json' ? 'endless' : undefined));
  await assert.rejects(fetcher().fetchRepository(gun, undefined), (e: unknown) => e instanceof HttpError && e.code === 'TOO_LARGE');
  assert.ok(sent < 16 << 20, `${sent} bytes were sent before the fetcher stopped`);
});

test(`more than ${MAX_DELEGATIONS} delegated roles are refused, not fetched one by one`, async () => {
  const repo = buildRepo({ gun, rootKeys: [rootKey] });
  const key = generateSigningKey('ecdsa').public;
  const names = Array.from({ length: MAX_DELEGATIONS + 500 }, (_, i) => `targets/d${i}`);
  const targets = { signed: { _type: 'Targets', delegations: { keys: { [key.id]: publicKeyJson(key) }, roles: names.map((name) => ({ name, keyids: [key.id], threshold: 1, paths: [''] })) }, expires: '2100-01-01T00:00:00Z', targets: {}, version: 1 }, signatures: [] };
  const leaf = Buffer.from(JSON.stringify({ signed: { _type: 'Targets', expires: '2100-01-01T00:00:00Z', targets: {}, version: 1 }, signatures: [] }));
  const targetsBytes = Buffer.from(JSON.stringify(targets));
  const snapshot = JSON.parse(repo.snapshot.toString()) as { signed: { meta: Record<string, unknown> } };
  snapshot.signed.meta.targets = { hashes: { sha256: Buffer.alloc(32).toString('base64') }, length: targetsBytes.length };
  for (const name of names) snapshot.signed.meta[name] = { hashes: { sha256: Buffer.alloc(32).toString('base64') }, length: leaf.length };
  const snapshotBytes = Buffer.from(JSON.stringify(snapshot));
  const timestamp = JSON.parse(repo.timestamp.toString()) as { signed: { meta: { snapshot: { length: number } } } };
  timestamp.signed.meta.snapshot.length = snapshotBytes.length;
  const files: Record<string, Buffer> = { 'root.json': repo.root, 'timestamp.json': Buffer.from(JSON.stringify(timestamp)), 'snapshot.json': snapshotBytes, 'targets.json': targetsBytes };
  reset((file) => files[file] ?? (file.startsWith('targets/d') ? leaf : undefined));
  await assert.rejects(fetcher().fetchRepository(gun, undefined), (e: unknown) => e instanceof TufError && e.code === 'DELEGATION_INVALID' && new RegExp(`more than ${MAX_DELEGATIONS} delegated roles`).test(e.message));
  assert.equal(asked.filter((f) => f.startsWith('targets/d')).length, MAX_DELEGATIONS);
});
