/**
 * A webhook receiver on 127.0.0.1 for tests: records every request with its
 * raw body (what the signature covers), answers what `answer` says (200 by
 * default), and lets a test wait until some requests arrived. Nothing here
 * parses or trusts the body: tests check the signature over the raw bytes
 * first, as a real receiver must.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { verifyWebhookSignature } from '../../src/server/webhooks/signing.js';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type Answer = (request: ReceivedRequest, response: ServerResponse, index: number) => void;

export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** How the next requests are answered. */
  answer: Answer;
  /** Resolves once at least `count` requests matching `which` arrived (fails after `timeoutMs`). */
  waitFor(count: number, which?: (r: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export const OK: Answer = (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end('ok');
};

export async function startReceiver(answer: Answer = OK): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(received);
      receiver.answer(received, res, requests.length - 1);
      for (const wake of [...waiters]) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer,
    waitFor(count, which = () => true, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const matching = requests.filter(which);
          if (matching.length < count) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(matching);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the receiver got ${requests.filter(which).length} of ${count} requests: ${requests.map((r) => r.headers['x-portcullis-event']).join(', ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

/** The body as JSON after checking its signature under `secret` (throws when it does not verify). */
export function verified(request: ReceivedRequest, secret: string): Record<string, unknown> {
  const header = request.headers['x-portcullis-signature-256'];
  if (!verifyWebhookSignature(secret, request.body, typeof header === 'string' ? header : undefined)) throw new Error(`bad signature ${String(header)} on ${request.body.toString('utf8').slice(0, 200)}`);
  return JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
}
