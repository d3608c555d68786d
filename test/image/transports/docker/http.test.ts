/**
 * Protocol edge cases against node:http stubs on 127.0.0.1: retries on 503,
 * 429 and reset connections (attempts counted), redirects of blob GETs to a
 * second server without the Authorization header, an unreachable port,
 * oversized and schema 1 manifests, Link pagination of tags, timeouts.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sha256Digest } from '../../../../src/core/digest.js';
import { MediaType } from '../../../../src/core/media-types.js';
import { RegistryClient } from '../../../../src/image/transports/docker/client.js';
import { freePort } from '../../../support/peers.js';
import { caught, drain } from './helpers.js';
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
const manifestDigest = sha256Digest(manifest);

async function client(stub: Stub, extra: Partial<Parameters<typeof RegistryClient.create>[0]> = {}): Promise<RegistryClient> {
  return RegistryClient.create({ registry: stub.host, tlsVerify: false, retryBaseDelayMs: 1, ...extra });
}

function serveManifest(res: import('node:http').ServerResponse, body = manifest, type: string = MediaType.OciManifest): void {
  res.writeHead(200, { 'content-type': type, 'docker-content-digest': sha256Digest(body), 'content-length': body.length });
  res.end(body);
}

describe('registry client HTTP behaviour', () => {
  it('retries 503 twice, then succeeds (3 attempts on the manifest)', async () => {
    let manifestAttempts = 0;
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      manifestAttempts++;
      if (manifestAttempts <= 2) return void res.writeHead(503, { 'retry-after': '0' }).end();
      serveManifest(res);
    });
    stubs.push(stub);
    const c = await client(stub);
    try {
      const got = await c.getManifest('a/b', 'latest');
      assert.equal(got.digest, manifestDigest);
      assert.equal(manifestAttempts, 3);
    } finally {
      await c.close();
    }
  });

  it('gives up after the configured retries: SERVER for 5xx, RATE_LIMITED for 429', async () => {
    let attempts = 0;
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      attempts++;
      if (req.url?.includes('limited')) {
        return void res.writeHead(429, { 'content-type': 'application/json' }).end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      }
      res.writeHead(502).end('bad gateway');
    });
    stubs.push(stub);
    const c = await client(stub, { retries: 2 });
    try {
      const server = await caught(() => c.getManifest('a/b', 'x'));
      assert.equal(server.code, 'SERVER');
      assert.equal(attempts, 3);
      attempts = 0;
      const limited = await caught(() => c.getManifest('a/limited', 'x'));
      assert.equal(limited.code, 'RATE_LIMITED');
      assert.match(limited.message, /slow down/);
      assert.equal(attempts, 3);
    } finally {
      await c.close();
    }
  });

  it('retries a connection reset', async () => {
    let attempts = 0;
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      attempts++;
      if (attempts === 1) return void req.socket.destroy();
      serveManifest(res);
    });
    stubs.push(stub);
    const c = await client(stub);
    try {
      assert.equal((await c.getManifest('a/b', 'latest')).digest, manifestDigest);
      assert.equal(attempts, 2);
    } finally {
      await c.close();
    }
  });

  it('follows a blob redirect to another server without forwarding Authorization', async () => {
    const blob = Buffer.from('layer bytes '.repeat(1000));
    const digest = sha256Digest(blob);
    const storage = await startStub((req, res) => {
      if (req.url?.startsWith('/signed/')) return void res.writeHead(200, { 'content-length': blob.length }).end(blob);
      res.writeHead(404).end();
    });
    stubs.push(storage);
    const registry = await startStub((req, res) => {
      const auth = req.headers.authorization;
      if (auth !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="stub"' }).end();
      }
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (req.url === `/v2/a/b/blobs/${digest}`) {
        return void res.writeHead(307, { location: `${storage.url}/signed/${digest}?X-Signature=secret` }).end();
      }
      res.writeHead(404).end();
    });
    stubs.push(registry);
    const c = await client(registry, { credentials: { username: 'u', password: 'p' } });
    try {
      const bytes = await drain(await c.getBlob('a/b', { digest, size: blob.length }));
      assert.deepEqual(bytes, blob);
    } finally {
      await c.close();
    }
    const blobRequest = registry.requests.find((r) => r.url.includes('/blobs/'));
    assert.ok(blobRequest?.headers.authorization, 'the registry itself got credentials');
    assert.equal(storage.requests.length, 1);
    assert.equal(storage.requests[0]?.headers.authorization, undefined, 'no Authorization to the redirect target');
  });

  it('keeps verifying a redirected blob: wrong bytes from storage fail', async () => {
    const blob = Buffer.from('expected');
    const storage = await startStub((_req, res) => void res.writeHead(200).end('tampered'));
    stubs.push(storage);
    const registry = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(302, { location: `${storage.url}/x` }).end();
    });
    stubs.push(registry);
    const c = await client(registry);
    try {
      const error = await caught(async () => drain(await c.getBlob('a/b', { digest: sha256Digest(blob), size: blob.length })));
      assert.equal(error.code, 'DIGEST_MISMATCH');
    } finally {
      await c.close();
    }
  });

  it('reports a closed port as UNREACHABLE', async () => {
    const port = await freePort();
    const c = await RegistryClient.create({ registry: `127.0.0.1:${port}`, tlsVerify: false, retryBaseDelayMs: 1 });
    try {
      const error = await caught(() => c.getManifest('a/b', 'latest'));
      assert.equal(error.code, 'UNREACHABLE');
    } finally {
      await c.close();
    }
  });

  it('refuses a manifest over 4 MiB with TOO_LARGE, with or without Content-Length', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 10, 0x20);
    let sentBytes = 0;
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (req.url?.includes('chunked')) {
        // No Content-Length: the client must stop reading at the cap.
        res.writeHead(200, { 'content-type': MediaType.OciManifest });
        const piece = Buffer.alloc(64 * 1024, 0x20);
        const write = (): void => {
          while (sentBytes < 64 * 1024 * 1024) {
            sentBytes += piece.length;
            if (!res.write(piece)) return void res.once('drain', write);
          }
          res.end();
        };
        res.on('close', () => undefined);
        write();
        return;
      }
      res.writeHead(200, { 'content-type': MediaType.OciManifest, 'content-length': big.length });
      res.end(big);
    });
    stubs.push(stub);
    const c = await client(stub);
    try {
      assert.equal((await caught(() => c.getManifest('a/b', 'big'))).code, 'TOO_LARGE');
      assert.equal((await caught(() => c.getManifest('a/b', 'chunked'))).code, 'TOO_LARGE');
      assert.ok(sentBytes < 64 * 1024 * 1024, 'the client did not read the whole body');
    } finally {
      await c.close();
    }
  });

  it('refuses a Docker schema 1 manifest as unsupported', async () => {
    const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'a/b', tag: 'old', fsLayers: [], history: [] }));
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      serveManifest(res, schema1, MediaType.DockerSchema1Signed);
    });
    stubs.push(stub);
    const c = await client(stub);
    try {
      const error = await caught(() => c.getManifest('a/b', 'old'));
      assert.equal(error.code, 'MANIFEST_UNSUPPORTED');
      assert.match(error.message, /schema 1/);
    } finally {
      await c.close();
    }
  });

  it('fails a tag fetch whose bytes disagree with Docker-Content-Digest', async () => {
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(200, { 'content-type': MediaType.OciManifest, 'docker-content-digest': sha256Digest('other') }).end(manifest);
    });
    stubs.push(stub);
    const c = await client(stub);
    try {
      assert.equal((await caught(() => c.getManifest('a/b', 'latest'))).code, 'DIGEST_MISMATCH');
    } finally {
      await c.close();
    }
  });

  it('pages tags with n= and last= following Link (as the spec describes)', async () => {
    const tags = ['a', 'b', 'c', 'd', 'e'];
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      const url = new URL(req.url ?? '/', 'http://x');
      const n = Number(url.searchParams.get('n') ?? '100');
      const last = url.searchParams.get('last');
      const start = last ? tags.indexOf(last) + 1 : 0;
      const page = tags.slice(start, start + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + n < tags.length) headers.link = `</v2/a/b/tags/list?n=${n}&last=${page[page.length - 1]}>; rel="next"`;
      res.writeHead(200, headers).end(JSON.stringify({ name: 'a/b', tags: page }));
    });
    stubs.push(stub);
    const c = await client(stub);
    try {
      const pages: string[][] = [];
      for await (const page of c.tagPages('a/b', { pageSize: 2 })) pages.push(page);
      assert.deepEqual(pages, [['a', 'b'], ['c', 'd'], ['e']]);
      assert.deepEqual(await c.listTags('a/b', { pageSize: 2 }), tags);
      assert.deepEqual(
        stub.requests.filter((r) => r.url.includes('tags')).slice(0, 3).map((r) => r.url),
        ['/v2/a/b/tags/list?n=2', '/v2/a/b/tags/list?n=2&last=b', '/v2/a/b/tags/list?n=2&last=d'],
      );
    } finally {
      await c.close();
    }
  });

  it('uses the referrers API when the registry has it, filtering client-side when it did not', async () => {
    const subject = sha256Digest('subject');
    const entries = [
      { mediaType: MediaType.OciManifest, digest: sha256Digest('r1'), size: 10, artifactType: 'application/x-sig' },
      { mediaType: MediaType.OciManifest, digest: sha256Digest('r2'), size: 10, artifactType: 'application/x-sbom' },
    ];
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (req.url?.startsWith(`/v2/a/b/referrers/${subject}`)) {
        return void res
          .writeHead(200, { 'content-type': MediaType.OciIndex })
          .end(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: entries }));
      }
      res.writeHead(404).end();
    });
    stubs.push(stub);
    const c = await client(stub);
    try {
      assert.equal((await c.referrers('a/b', subject)).length, 2);
      const sigs = await c.referrers('a/b', subject, { artifactType: 'application/x-sig' });
      assert.deepEqual(sigs.map((d) => d.digest), [entries[0]?.digest]);
      assert.ok(stub.requests.some((r) => r.url.includes('artifactType=application%2Fx-sig')));
      assert.ok(!stub.requests.some((r) => r.url.includes('/manifests/sha256-')), 'no fallback when the API answers');
    } finally {
      await c.close();
    }
  });

  it('stops paging the referrers API once more than `limit` are known (a registry can page forever)', async () => {
    const subject = sha256Digest('subject');
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      const page = Number(/[?&]page=(\d+)/.exec(req.url ?? '')?.[1] ?? '0');
      const manifests = [0, 1, 2].map((i) => ({ mediaType: MediaType.OciManifest, digest: sha256Digest(`r${page}-${i}`), size: 10, artifactType: 'application/x-sig' }));
      res
        .writeHead(200, { 'content-type': MediaType.OciIndex, link: `</v2/a/b/referrers/${subject}?page=${page + 1}>; rel="next"` })
        .end(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
    });
    stubs.push(stub);
    const c = await client(stub);
    try {
      assert.equal((await c.referrers('a/b', subject, { limit: 7 })).length, 9);
      assert.equal(stub.requests.filter((r) => r.url.includes('/referrers/')).length, 3);
    } finally {
      await c.close();
    }
  });

  it('times out a server that never answers (TIMEOUT), without retrying forever', async () => {
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      // never answer
    });
    stubs.push(stub);
    const c = await client(stub, { timeoutMs: 300, retries: 0 });
    try {
      assert.equal((await caught(() => c.getManifest('a/b', 'latest'))).code, 'TIMEOUT');
    } finally {
      await c.close();
    }
  });

  it('sends an identity token as an OAuth2 refresh_token POST and uses the access_token', async () => {
    const forms: URLSearchParams[] = [];
    const realm = await startStub(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const form = new URLSearchParams(body);
      forms.push(form);
      if (form.get('refresh_token') !== 'refresh-xyz') return void res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'tok-1', expires_in: 300 }));
    });
    stubs.push(realm);
    const registry = await startStub((req, res) => {
      if (req.headers.authorization !== 'Bearer tok-1') {
        return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm.url}/token",service="stub"` }).end();
      }
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      serveManifest(res);
    });
    stubs.push(registry);
    const c = await client(registry, { credentials: { username: '', password: '', identityToken: 'refresh-xyz' } });
    try {
      assert.equal((await c.getManifest('a/b', 'latest')).digest, manifestDigest);
      assert.equal((await c.getManifest('a/b', 'again')).digest, manifestDigest);
    } finally {
      await c.close();
    }
    assert.equal(forms.length, 1, 'one token for the scope, cached');
    assert.equal(forms[0]?.get('grant_type'), 'refresh_token');
    assert.equal(forms[0]?.get('service'), 'stub');
    assert.equal(forms[0]?.get('scope'), 'repository:a/b:pull');
  });

  it('reads the OCI error body into the message and code', async () => {
    const stub = await startStub((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }));
    });
    stubs.push(stub);
    const c = await client(stub);
    try {
      const error = await caught(() => c.getManifest('a/b', 'latest'));
      assert.equal(error.code, 'DENIED');
      assert.match(error.message, /requested access to the resource is denied/);
    } finally {
      await c.close();
    }
  });
});
