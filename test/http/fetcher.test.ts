/**
 * The fetcher against loopback servers that misbehave the ways real ones do:
 * a body trickling past the deadline, an endless body, 503 then 200, 429 with
 * Retry-After, reset connections, refused connections, redirects that leave
 * the origin, and proxies (a forward proxy and a CONNECT tunnel written here,
 * which alone can reach the host `feeds.invalid`).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { HttpError, HttpFetcher, type FetcherOptions } from '../../src/http/index.js';
import { startStub } from '../support/http-stub.js';
import { REPO_ROOT } from '../support/paths.js';
import { startProxy } from '../support/proxy.js';

const FIXTURES = join(REPO_ROOT, 'test', 'http', 'fixtures');
const CERT = readFileSync(join(FIXTURES, 'feeds.invalid.crt'), 'utf8');
const KEY = readFileSync(join(FIXTURES, 'feeds.invalid.key'), 'utf8');

/** Quick retries, and no proxy variables from the machine running the tests. */
function fetcher(options: FetcherOptions = {}): HttpFetcher {
  return new HttpFetcher({ retryBaseDelayMs: 10, retryMaxDelayMs: 5_000, env: {}, ...options });
}

function isHttpError(code: string, pattern?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof HttpError, `expected an HttpError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('a body that trickles past the whole-request deadline fails with TIMEOUT, though no idle timeout fires', async () => {
  const stub = await startStub((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => res.write('x'), 50);
    res.on('close', () => clearInterval(timer));
  });
  const f = fetcher({ idleTimeoutMs: 10_000 });
  try {
    await assert.rejects(f.getBytes({ url: `${stub.url}/slow`, what: 'slow feed', maxBytes: 1 << 20, deadlineMs: 400 }), isHttpError('TIMEOUT', /slow feed: no complete answer .* within 0\.4 s/));
    // The streaming form fails the same way, mid-body.
    const res = await f.get({ url: `${stub.url}/slow`, what: 'slow feed', maxBytes: 1 << 20, deadlineMs: 400 });
    assert.equal(res.status, 200);
    await assert.rejects(res.bytes(), isHttpError('TIMEOUT'));
  } finally {
    await f.close();
    await stub.close();
  }
});

test('an endless body stops at the size cap: the reader never gets more than maxBytes, and the connection is dropped', async () => {
  let closed = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const stub = await startStub((req, res) => {
    if (req.url === '/announced') {
      res.writeHead(200, { 'content-length': String(10 << 20) }).end();
      return;
    }
    res.writeHead(200);
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    res.on('close', () => closed++);
    pump();
  });
  const f = fetcher();
  const cap = 1 << 20;
  try {
    await assert.rejects(f.getBytes({ url: `${stub.url}/endless`, what: 'endless feed', maxBytes: cap }), isHttpError('TOO_LARGE', /more than the 1048576-byte limit/));
    const res = await f.get({ url: `${stub.url}/endless`, what: 'endless feed', maxBytes: cap });
    let delivered = 0;
    await assert.rejects(
      (async () => {
        for await (const c of res.body) delivered += (c as Buffer).length;
      })(),
      isHttpError('TOO_LARGE'),
    );
    assert.ok(delivered <= cap, `delivered ${delivered} bytes`);
    for (let i = 0; i < 100 && closed < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(closed, 2, 'the server saw both connections closed');
    // A Content-Length over the cap fails before any body is read.
    await assert.rejects(f.getBytes({ url: `${stub.url}/announced`, what: 'big feed', maxBytes: cap }), isHttpError('TOO_LARGE', /announces 10485760 bytes/));
  } finally {
    await f.close();
    await stub.close();
  }
});

test('503 then 200 is retried; 5xx every time fails with SERVER after 1 + retries attempts', async () => {
  let n = 0;
  const stub = await startStub((req, res) => {
    if (req.url === '/always') {
      res.writeHead(502).end('bad gateway');
      return;
    }
    n++;
    if (n === 1) res.writeHead(503).end('busy');
    else res.writeHead(200).end('advisories');
  });
  const f = fetcher({ retries: 2 });
  try {
    const got = await f.getBytes({ url: `${stub.url}/feed`, what: 'feed', maxBytes: 1024 });
    assert.equal(got.bytes.toString(), 'advisories');
    assert.equal(n, 2);
    await assert.rejects(f.getBytes({ url: `${stub.url}/always`, what: 'feed', maxBytes: 1024 }), isHttpError('SERVER', /HTTP 502 Bad Gateway .* 3 attempts/));
    assert.equal(stub.requests.filter((r) => r.url === '/always').length, 3);
  } finally {
    await f.close();
    await stub.close();
  }
});

test('429 with Retry-After: the retry waits what the server asked; a wait longer than allowed fails at once', async () => {
  const arrivals: number[] = [];
  const stub = await startStub((req, res) => {
    if (req.url === '/long') {
      res.writeHead(429, { 'retry-after': '120' }).end();
      return;
    }
    arrivals.push(Date.now());
    if (arrivals.length === 1) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
    else res.writeHead(200).end('ok');
  });
  const f = fetcher({ retryMaxDelayMs: 5_000 });
  try {
    const got = await f.getBytes({ url: `${stub.url}/nvd`, what: 'NVD page', maxBytes: 1024 });
    assert.equal(got.bytes.toString(), 'ok');
    assert.equal(arrivals.length, 2);
    // Honouring Retry-After is the behaviour under test: the second request must not come early.
    assert.ok(arrivals[1]! - arrivals[0]! >= 950, `retried after ${arrivals[1]! - arrivals[0]!} ms`);
    await assert.rejects(f.getBytes({ url: `${stub.url}/long`, what: 'NVD page', maxBytes: 1024 }), isHttpError('RATE_LIMITED', /HTTP 429 .* asks to retry after 120 s, longer than the 5 s we wait at most/));
    assert.equal(stub.requests.filter((r) => r.url === '/long').length, 1, 'not retried early');
  } finally {
    await f.close();
    await stub.close();
  }
});

test('a connection reset before the headers or mid-body is retried', async () => {
  let n = 0;
  const stub = await startStub((req, res) => {
    n++;
    if (req.url === '/reset-headers' && n === 1) {
      req.socket.destroy();
      return;
    }
    if (req.url === '/reset-body' && n === 3) {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    res.writeHead(200).end(req.url);
  });
  const f = fetcher();
  try {
    assert.equal((await f.getBytes({ url: `${stub.url}/reset-headers`, what: 'feed', maxBytes: 1024 })).bytes.toString(), '/reset-headers');
    assert.equal(n, 2);
    assert.equal((await f.getBytes({ url: `${stub.url}/reset-body`, what: 'feed', maxBytes: 1024 })).bytes.toString(), '/reset-body');
    assert.equal(n, 4);
  } finally {
    await f.close();
    await stub.close();
  }
});

test('a refused connection fails at once, naming ECONNREFUSED; an unknown host names the DNS failure', async () => {
  const port = await closedPort();
  const f = fetcher();
  try {
    await assert.rejects(f.getBytes({ url: `http://127.0.0.1:${port}/osv/Go/all.zip`, what: 'OSV Go', maxBytes: 1024 }), isHttpError('UNREACHABLE', new RegExp(`OSV Go: cannot reach http://127.0.0.1:${port}/osv/Go/all.zip: .*ECONNREFUSED`)));
    await assert.rejects(f.getBytes({ url: 'http://feeds.invalid/x', what: 'feed', maxBytes: 1024 }), isHttpError('UNREACHABLE', /cannot reach http:\/\/feeds\.invalid\/x: .*(ENOTFOUND|EAI_AGAIN)/));
  } finally {
    await f.close();
  }
});

test('statuses the caller does not accept are coded errors; accepted ones (304) come back', async () => {
  const stub = await startStub((req, res) => {
    if (req.url === '/missing') res.writeHead(404).end();
    else if (req.url === '/denied') res.writeHead(403).end();
    else res.writeHead(304, { etag: '"v1"' }).end();
  });
  const f = fetcher();
  try {
    await assert.rejects(f.getBytes({ url: `${stub.url}/missing`, what: 'feed', maxBytes: 1024 }), isHttpError('NOT_FOUND', /feed: HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/missing/));
    await assert.rejects(f.getBytes({ url: `${stub.url}/denied`, what: 'feed', maxBytes: 1024 }), isHttpError('DENIED', /HTTP 403/));
    const res = await f.get({ url: `${stub.url}/same`, what: 'feed', maxBytes: 1024, accept: [200, 304], headers: { 'if-none-match': '"v1"' } });
    assert.equal(res.status, 304);
    assert.equal(res.header('etag'), '"v1"');
    res.discard();
    assert.equal(stub.requests.at(-1)?.headers['if-none-match'], '"v1"');
  } finally {
    await f.close();
    await stub.close();
  }
});

test('a redirect to another origin drops the credentials; https → http is refused', async () => {
  const target = await startStub((_req, res) => {
    res.writeHead(200).end('moved here');
  });
  const origin = await startStub((req, res) => {
    // localhost is another origin than 127.0.0.1.
    if (req.url === '/feed') res.writeHead(302, { location: `http://localhost:${target.port}/elsewhere` }).end();
    else res.writeHead(302, { location: '/feed' }).end();
  });
  const f = fetcher();
  try {
    const got = await f.getBytes({ url: `${origin.url}/start`, what: 'feed', maxBytes: 1024, headers: { authorization: 'Bearer secret', apiKey: 'k', accept: 'application/json' }, credentialHeaders: ['apiKey'] });
    assert.equal(got.bytes.toString(), 'moved here');
    assert.equal(got.url.href, `http://localhost:${target.port}/elsewhere`);
    assert.equal(origin.requests[1]?.headers.authorization, 'Bearer secret', 'kept within the origin');
    const seen = target.requests[0]!.headers;
    assert.equal(seen.authorization, undefined);
    assert.equal(seen.apikey, undefined);
    assert.equal(seen.accept, 'application/json');
  } finally {
    await f.close();
    await origin.close();
    await target.close();
  }
  const tls = createHttpsServer({ cert: CERT, key: KEY }, (_req, res) => res.writeHead(301, { location: 'http://127.0.0.1:1/plain' }).end());
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  const g = fetcher({ tls: { ca: [CERT] } });
  try {
    await assert.rejects(g.getBytes({ url: `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`, what: 'feed', maxBytes: 1024 }), isHttpError('PROTOCOL', /refusing the redirect from https/));
  } finally {
    await g.close();
    tls.closeAllConnections();
    await new Promise<void>((r) => tls.close(() => r()));
  }
});

test('a certificate that does not verify is a TLS error naming the reason', async () => {
  const tls = createHttpsServer({ cert: CERT, key: KEY }, (_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  const f = fetcher();
  try {
    await assert.rejects(f.getBytes({ url: `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`, what: 'feed', maxBytes: 1024 }), isHttpError('TLS', /TLS failure talking to https:\/\/127\.0\.0\.1:\d+\/: .*(self-signed|SELF_SIGNED)/));
  } finally {
    await f.close();
    tls.closeAllConnections();
    await new Promise<void>((r) => tls.close(() => r()));
  }
});

function origin(handler: (req: IncomingMessage, res: ServerResponse) => void, https = false): Promise<{ server: Server; port: number }> {
  const server = https ? (createHttpsServer({ cert: CERT, key: KEY }, handler) as unknown as Server) : createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

test('HTTP_PROXY: an http URL goes to the proxy in absolute form, with the proxy URL’s credentials', async () => {
  const proxy = await startProxy();
  const up = await origin((req, res) => res.writeHead(200).end(`upstream saw ${req.url}`));
  const proxyUrl = new URL(proxy.url);
  proxyUrl.username = 'user';
  proxyUrl.password = 'p@ss';
  const f = fetcher({ env: { HTTP_PROXY: proxyUrl.href } });
  try {
    // Only the proxy can resolve feeds.invalid: an answer proves the request went through it.
    const got = await f.getBytes({ url: `http://feeds.invalid:${up.port}/osv/Go/all.zip`, what: 'feed', maxBytes: 1024 });
    assert.equal(got.bytes.toString(), 'upstream saw /osv/Go/all.zip');
    assert.deepEqual(proxy.log.map((e) => `${e.method} ${e.target}`), [`GET http://feeds.invalid:${up.port}/osv/Go/all.zip`]);
    assert.equal(proxy.log[0]!.headers['proxy-authorization'], `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  } finally {
    await f.close();
    await stop(up.server);
    await proxy.close();
  }
});

test('HTTPS_PROXY: an https URL goes through a CONNECT tunnel, and the server certificate is still checked', async () => {
  const proxy = await startProxy();
  const up = await origin((req, res) => res.writeHead(200).end(`tls upstream saw ${req.url}`), true);
  const f = fetcher({ env: { https_proxy: proxy.url }, tls: { ca: [CERT] } });
  const untrusting = fetcher({ env: { https_proxy: proxy.url } });
  try {
    const got = await f.getBytes({ url: `https://feeds.invalid:${up.port}/api/debian.json`, what: 'EOL', maxBytes: 1024 });
    assert.equal(got.bytes.toString(), 'tls upstream saw /api/debian.json');
    assert.deepEqual(proxy.log.map((e) => `${e.method} ${e.target}`), [`CONNECT feeds.invalid:${up.port}`]);
    await assert.rejects(untrusting.getBytes({ url: `https://feeds.invalid:${up.port}/api/debian.json`, what: 'EOL', maxBytes: 1024 }), isHttpError('TLS'));
  } finally {
    await f.close();
    await untrusting.close();
    await stop(up.server);
    await proxy.close();
  }
});

test('NO_PROXY, loopback and scheme rules: those requests go direct and the proxy sees nothing', async () => {
  const proxy = await startProxy();
  const up = await origin((_req, res) => res.writeHead(200).end('direct'));
  const run = async (env: Record<string, string>, url: string): Promise<unknown> => {
    const f = fetcher({ env });
    try {
      return (await f.getBytes({ url, what: 'feed', maxBytes: 1024 })).bytes.toString();
    } catch (error) {
      return error;
    } finally {
      await f.close();
    }
  };
  try {
    // Bypassed by NO_PROXY, feeds.invalid is looked up directly, which fails: the proof it did not use the proxy.
    const bypassed = await run({ HTTP_PROXY: proxy.url, NO_PROXY: 'example.com,.invalid' }, `http://feeds.invalid:${up.port}/`);
    assert.ok(bypassed instanceof HttpError && bypassed.code === 'UNREACHABLE', String(bypassed));
    assert.match(bypassed.message, /cannot reach http:\/\/feeds\.invalid:\d+\/: .*(ENOTFOUND|EAI_AGAIN)/);
    // An https URL never falls back to HTTP_PROXY.
    const https = await run({ HTTP_PROXY: proxy.url }, `https://feeds.invalid:${up.port}/`);
    assert.ok(https instanceof HttpError && https.code === 'UNREACHABLE', String(https));
    // Loopback is never proxied.
    assert.equal(await run({ HTTP_PROXY: proxy.url }, `http://127.0.0.1:${up.port}/`), 'direct');
    assert.deepEqual(proxy.log, []);
    // Without the bypass the same URL goes through the proxy.
    assert.equal(await run({ HTTP_PROXY: proxy.url, NO_PROXY: 'example.com' }, `http://feeds.invalid:${up.port}/`), 'direct');
    assert.equal(proxy.log.length, 1);
  } finally {
    await stop(up.server);
    await proxy.close();
  }
});

test('a proxy that cannot be reached, or refuses the tunnel, is named in the error', async () => {
  const port = await closedPort();
  const refusing = createServer((_req, res) => res.writeHead(403).end());
  refusing.on('connect', (_req, socket: Socket) => socket.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
  const down = fetcher({ env: { HTTPS_PROXY: `http://127.0.0.1:${port}` } });
  const refused = fetcher({ env: { HTTPS_PROXY: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}` } });
  const socks = fetcher({ env: { HTTPS_PROXY: 'socks5://127.0.0.1:1080' } });
  try {
    await assert.rejects(down.getBytes({ url: 'https://feeds.invalid/x', what: 'feed', maxBytes: 1024 }), isHttpError('UNREACHABLE', new RegExp(`cannot reach the proxy http://127.0.0.1:${port} \\(HTTPS_PROXY\\) for https://feeds.invalid/x: .*ECONNREFUSED`)));
    await assert.rejects(refused.getBytes({ url: 'https://feeds.invalid/x', what: 'feed', maxBytes: 1024 }), isHttpError('PROXY', /refused the tunnel to feeds\.invalid: HTTP 403/));
    await assert.rejects(socks.getBytes({ url: 'https://feeds.invalid/x', what: 'feed', maxBytes: 1024 }), isHttpError('PROXY', /socks5 proxies are not supported/));
  } finally {
    await down.close();
    await refused.close();
    await socks.close();
    await stop(refusing);
  }
});
