/** A tiny node:http server on 127.0.0.1 for protocol edge cases a real registry will not produce. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Stub {
  port: number;
  host: string;
  url: string;
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

export async function startStub(handler: (req: IncomingMessage, res: ServerResponse, stub: Stub) => void | Promise<void>): Promise<Stub> {
  const stub: Stub = { port: 0, host: '', url: '', requests: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    stub.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    Promise.resolve(handler(req, res, stub)).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  stub.port = typeof address === 'object' && address ? address.port : 0;
  stub.host = `127.0.0.1:${stub.port}`;
  stub.url = `http://${stub.host}`;
  stub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}
