/**
 * One webhook request: POST the body to the target, with a deadline to
 * connect and one for the whole exchange, reading at most a few KiB of the
 * answer (kept for the delivery log), never following a redirect, and only
 * to addresses the target policy allows (targets.ts). A 2xx answer is a
 * delivery; anything else, a failure the caller may retry.
 *
 * Why node:http rather than fetch (undici): fetch follows redirects unless
 * told, reads answers whole unless the stream is handled, and keeps
 * connections alive in a pool shared across targets; here every request gets
 * its own connection (`agent: false`), so a host name is resolved and checked
 * for each request and nothing a receiver does lingers after it. The few
 * lines that add the two deadlines and the cap are what the job needs.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { checkTarget, guardedLookup, type TargetPolicy } from './targets.js';

export const USER_AGENT = 'portcullis-webhooks/0.1.0';
/** Bytes of an answer kept for the delivery log; the rest is not read. */
export const RESPONSE_EXCERPT_BYTES = 4096;

export interface SendOptions {
  readonly policy: TargetPolicy;
  /** From the start of the request until its whole answer (or the excerpt) is read. */
  readonly timeoutMs: number;
  /** Until the TCP connection is open. */
  readonly connectTimeoutMs: number;
  readonly maxResponseBytes?: number;
}

export interface SendResult {
  readonly delivered: boolean;
  readonly status?: number;
  /** Why it was not delivered. */
  readonly error?: string;
  /** The start of the answer's body, as text. */
  readonly excerpt?: string;
}

export function postWebhook(target: string, body: Buffer, headers: Readonly<Record<string, string>>, options: SendOptions): Promise<SendResult> {
  const checked = checkTarget(target, options.policy);
  if ('problem' in checked) return Promise.resolve({ delivered: false, error: `refused: ${checked.problem}` });
  const url = checked.url;
  const cap = options.maxResponseBytes ?? RESPONSE_EXCERPT_BYTES;
  return new Promise((resolve) => {
    let settled = false;
    let request: ClientRequest | undefined;
    const finish = (result: SendResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(whole);
      clearTimeout(connecting);
      request?.destroy();
      resolve(result);
    };
    const whole = setTimeout(() => finish({ delivered: false, error: `timeout: no complete answer within ${options.timeoutMs} ms` }), options.timeoutMs);
    const connecting = setTimeout(() => finish({ delivered: false, error: `timeout: could not connect within ${options.connectTimeoutMs} ms` }), options.connectTimeoutMs);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    request = send(url, {
      method: 'POST',
      agent: false,
      lookup: guardedLookup(options.policy) as never,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(body.length), 'user-agent': USER_AGENT, connection: 'close' },
    });
    request.on('socket', (socket) => {
      if (!socket.connecting) clearTimeout(connecting);
      else socket.once('connect', () => clearTimeout(connecting));
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish({ delivered: false, error: describe(error) }));
    request.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let kept = 0;
      const done = (): void => {
        const excerpt = Buffer.concat(chunks).toString('utf8');
        const location = response.headers.location;
        if (status >= 200 && status < 300) return finish({ delivered: true, status, excerpt });
        const error =
          status >= 300 && status < 400
            ? `answered ${status}${typeof location === 'string' ? ` (redirect to ${location.slice(0, 200)})` : ''}: redirects are not followed`
            : `answered ${status}`;
        finish({ delivered: false, status, error, excerpt });
      };
      response.on('data', (chunk: Buffer) => {
        if (kept < cap) chunks.push(chunk.subarray(0, cap - kept));
        kept += chunk.length;
        if (kept >= cap) done();
      });
      response.on('end', done);
      response.on('error', (error: Error) => finish({ delivered: false, status, error: describe(error) }));
    });
    request.end(body);
  });
}

function describe(error: NodeJS.ErrnoException): string {
  if (error.code === 'EWEBHOOKTARGET') return `refused: ${error.message}`;
  return `${error.message}${error.code && !error.message.includes(error.code) ? ` (${error.code})` : ''}`.slice(0, 500);
}
