/**
 * The registry client pool and what a client remembers about a registry,
 * against node:http stubs on 127.0.0.1: one client (one `/v2/` ping) per
 * registry and credentials across many references, credentials resolved once
 * per repository, close() closing every client; a registry without the
 * referrers API (plain 404) asked once, then the fallback tag only — but not
 * when the 404 is about the repository or subject, or is an OCI index.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sha256Digest } from '../../../../src/core/digest.js';
import { MediaType } from '../../../../src/core/media-types.js';
import { parseImageRef } from '../../../../src/core/reference.js';
import { RegistryClient } from '../../../../src/image/transports/docker/client.js';
import { RegistryClientPool } from '../../../../src/image/transports/docker/pool.js';
import { referrersTag } from '../../../../src/image/transports/docker/referrers.js';
import { DockerTransport } from '../../../../src/image/transports/docker/transport.js';
import { startStub, type Stub } from '../../../support/http-stub.js';

const stubs: Stub[] = [];
after(async () => {
  for (const stub of stubs) await stub.close();
});

const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: sha256Digest('c'), size: 1 },
    layers: [],
  }),
);
const subject = sha256Digest('subject');
const entry = { mediaType: MediaType.OciManifest, digest: sha256Digest('r1'), size: 10, artifactType: 'application/x-sig' };
const fallback = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [entry] }));

function serve(res: import('node:http').ServerResponse, body: Buffer, type: string): void {
  res.writeHead(200, { 'content-type': type, 'docker-content-digest': sha256Digest(body), 'content-length': body.length });
  res.end(body);
}

/** A registry without the referrers API; `referrers404` answers the API path. */
async function registryStub(referrers404: (res: import('node:http').ServerResponse) => void = (res) => void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found')): Promise<Stub> {
  const stub = await startStub((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    if (req.url?.includes('/referrers/')) return referrers404(res);
    if (req.url?.endsWith(`/manifests/${referrersTag(subject)}`)) return serve(res, fallback, MediaType.OciIndex);
    if (req.url?.includes('/manifests/')) return serve(res, manifest, MediaType.OciManifest);
    res.writeHead(404).end();
  });
  stubs.push(stub);
  return stub;
}

const count = (stub: Stub, test: (url: string) => boolean): number => stub.requests.filter((r) => test(r.url)).length;

describe('registry client pool', () => {
  it('shares one client (one /v2/ ping) per registry across references and repositories; close() closes them all', async () => {
    const a = await registryStub();
    const b = await registryStub();
    let resolutions = 0;
    const transport = new DockerTransport({
      credentials: async () => {
        resolutions++;
        return undefined;
      },
    });
    const pool = new RegistryClientPool({ transport });
    const context = { tlsVerify: false };
    const [c1, c2, c3] = await Promise.all([
      pool.clientFor(parseImageRef(`${a.host}/x/one:1`), context),
      pool.clientFor(parseImageRef(`${a.host}/x/one:2`), context),
      pool.clientFor(parseImageRef(`${a.host}/y/two:1`), context),
    ]);
    assert.equal(c1, c2);
    assert.equal(c1, c3, 'the same (anonymous) credentials: the same client');
    const other = await pool.clientFor(parseImageRef(`${b.host}/x/one:1`), context);
    assert.notEqual(other, c1);
    for (let i = 0; i < 3; i++) await c1.getManifest('x/one', String(i));
    await c3.getManifest('y/two', '1');
    assert.equal(count(a, (u) => u === '/v2/'), 1, 'one ping for the registry');
    assert.equal(resolutions, 3, 'credentials resolved once per registry and repository');
    assert.equal(pool.size, 2);
    await pool.close();
    assert.equal(pool.size, 0);
    await assert.rejects(pool.clientFor(parseImageRef(`${a.host}/x/one:1`), context), /closed/);
    await assert.rejects(c1.getManifest('x/one', '9'), 'a closed client refuses requests');
  });

  it('keeps clients apart for different credentials and different TLS settings', async () => {
    const a = await registryStub();
    const transport = new DockerTransport({
      credentials: async (_registry, repository) => (repository.startsWith('team/') ? { username: 'u', password: 'p' } : undefined),
    });
    const pool = new RegistryClientPool({ transport });
    try {
      const context = { tlsVerify: false };
      const anonymous = await pool.clientFor(parseImageRef(`${a.host}/public/app:1`), context);
      const team = await pool.clientFor(parseImageRef(`${a.host}/team/app:1`), context);
      assert.notEqual(anonymous, team);
      assert.equal(team.auth.hasCredentials, true);
      assert.equal(anonymous.auth.hasCredentials, false);
      const timeouts = await pool.clientFor(parseImageRef(`${a.host}/public/app:1`), { tlsVerify: false, timeoutMs: 5000 });
      assert.notEqual(timeouts, anonymous);
      assert.equal(await pool.clientFor(parseImageRef(`${a.host}/public/app:2`), { tlsVerify: false }), anonymous, 'an equal context (another object) shares');
    } finally {
      await pool.close();
    }
  });
});

describe('referrers API memory', () => {
  it('asks the API once on a registry without it (plain 404), then reads the fallback tag only', async () => {
    const stub = await registryStub();
    const c = await RegistryClient.create({ registry: stub.host, tlsVerify: false });
    try {
      for (let i = 0; i < 3; i++) assert.deepEqual((await c.referrers('a/b', subject)).map((d) => d.digest), [entry.digest]);
      assert.equal(count(stub, (u) => u.includes('/referrers/')), 1);
      assert.equal(count(stub, (u) => u.endsWith(`/manifests/${referrersTag(subject)}`)), 3);
      assert.equal(c.referrersApiMissing, true);
    } finally {
      await c.close();
    }
  });

  it('forgets after the memory time, and never remembers a 404 about the repository or subject, or an index', async () => {
    const expired = await registryStub();
    const short = await RegistryClient.create({ registry: expired.host, tlsVerify: false, referrersMemoryMs: 0 });
    try {
      await short.referrers('a/b', subject);
      await short.referrers('a/b', subject);
      assert.equal(count(expired, (u) => u.includes('/referrers/')), 2);
    } finally {
      await short.close();
    }
    const answers: [string, (res: import('node:http').ServerResponse) => void][] = [
      ['NAME_UNKNOWN', (res) => void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known' }] }))],
      ['MANIFEST_UNKNOWN', (res) => void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }))],
      ['an OCI index', (res) => void res.writeHead(404, { 'content-type': MediaType.OciIndex }).end(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }))],
    ];
    for (const [what, answer] of answers) {
      const stub = await registryStub(answer);
      const c = await RegistryClient.create({ registry: stub.host, tlsVerify: false });
      try {
        assert.deepEqual((await c.referrers('a/b', subject)).map((d) => d.digest), [entry.digest], `${what}: the fallback is read as before`);
        await c.referrers('a/b', subject);
        assert.equal(count(stub, (u) => u.includes('/referrers/')), 2, `${what}: the API is asked again`);
        assert.equal(c.referrersApiMissing, false);
      } finally {
        await c.close();
      }
    }
  });

  it('a registry that answers the API is not remembered as missing', async () => {
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (req.url?.includes('/referrers/')) return serve(res, fallback, MediaType.OciIndex);
      res.writeHead(404).end();
    });
    stubs.push(stub);
    const c = await RegistryClient.create({ registry: stub.host, tlsVerify: false });
    try {
      await c.referrers('a/b', subject);
      await c.referrers('a/b', subject);
      assert.equal(count(stub, (u) => u.includes('/referrers/')), 2);
      assert.equal(count(stub, (u) => u.includes('/manifests/')), 0);
    } finally {
      await c.close();
    }
  });
});
