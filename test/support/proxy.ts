/**
 * A tiny HTTP proxy on 127.0.0.1 for the fetcher's proxy tests: forwards
 * absolute-form requests (`GET http://host:port/path`) and tunnels CONNECT,
 * logging each. Its "DNS" sends every host name to 127.0.0.1, so a test can
 * name a host only the proxy can reach (`feeds.invalid`): a request that
 * arrives there went through the proxy.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface ProxyLogEntry {
  readonly method: string;
  /** The request target as the proxy got it: an absolute URL, or host:port for CONNECT. */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
}

export interface TestProxy {
  readonly url: string;
  readonly log: ProxyLogEntry[];
  close(): Promise<void>;
}

export async function startProxy(): Promise<TestProxy> {
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    log.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers });
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request expected');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = request({ host: '127.0.0.1', port: Number(target.port || 80), path: `${target.pathname}${target.search}`, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end('upstream unreachable'));
    req.pipe(upstream);
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    log.push({ method: 'CONNECT', target: req.url ?? '', headers: req.headers });
    const port = Number(/:(\d+)$/.exec(req.url ?? '')?.[1] ?? 443);
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
