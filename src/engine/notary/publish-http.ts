/**
 * The one write notary's client makes: `POST /v2/<gun>/_trust/tuf/` with a
 * multipart/form-data body, one part per role file, each a form file named
 * `files` whose filename is the role (`root`, `targets`) — notary
 * `storage/httpstore.go` `NewMultiPartMetaRequest`. The shared fetcher
 * (src/http) only GETs, so this is a plain undici request with the same TLS
 * settings, a deadline, no retry (an update is not idempotent: a retried
 * POST could answer a version conflict for our own first attempt), and the
 * answer read under a small cap: notary's error list
 * `{"errors":[{"code","message","detail"}]}` becomes a one-line message.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { HttpError, describeUrl } from '../../http/index.js';
import type { NotaryAuth } from './auth.js';
import { NotaryPublishError } from './publish-errors.js';

export interface PostTls {
  readonly ca?: readonly string[];
  readonly rejectUnauthorized: boolean;
}

/** Notary's answers are a few hundred bytes; anything past this is not read. */
const MAX_ANSWER_BYTES = 64 * 1024;
const TIMEOUT_MS = 60_000;

export function multipartBody(files: ReadonlyMap<string, Buffer>): { body: Buffer; contentType: string } {
  const boundary = `portcullis-${randomBytes(16).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [role, bytes] of files) {
    if (!/^[a-z0-9_/-]+$/.test(role)) throw new NotaryPublishError('PUBLISH_REFUSED', `not a role name: ${JSON.stringify(role)}`);
    if (bytes.includes(`--${boundary}`)) throw new NotaryPublishError('PUBLISH_REFUSED', 'metadata collides with the multipart boundary');
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${role}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      bytes,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function readCapped(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < MAX_ANSWER_BYTES) chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - size));
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `errors[0]` of notary's answer as `CODE: message (detail)`, or the status text. */
export function notaryErrorText(status: number, text: string): string {
  try {
    const parsed = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown; detail?: unknown }> };
    const first = parsed.errors?.[0];
    if (first && typeof first.code === 'string') {
      const detail = first.detail === undefined || first.detail === null ? '' : ` (${JSON.stringify(first.detail).slice(0, 300)})`;
      return `${first.code}: ${typeof first.message === 'string' ? first.message : ''}${detail}`;
    }
  } catch {
    // not notary's JSON: say the status
  }
  return `HTTP ${status}`;
}

/**
 * POSTs the role files to `<server>/v2/<gun>/_trust/tuf/`; throws unless the
 * server answers 2xx. A 401 is answered by `auth` and the POST sent once more
 * (the body is in memory); a second 401 is auth's UNAUTHORIZED error.
 */
export async function postMetadata(server: URL, gun: string, files: ReadonlyMap<string, Buffer>, tls: PostTls, auth?: NotaryAuth): Promise<void> {
  const url = new URL(`/v2/${gun}/_trust/tuf/`, server);
  const where = describeUrl(url);
  const { body, contentType } = multipartBody(files);
  const dispatcher = new Agent({
    connect: { rejectUnauthorized: tls.rejectUnauthorized, ...(tls.ca ? { ca: [...tls.ca] } : {}), timeout: TIMEOUT_MS },
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  try {
    for (let attempt = 0; ; attempt++) {
      const answer = await send(url, where, body, contentType, dispatcher, auth?.headers() ?? {});
      const text = await readCapped(answer.body);
      const status = answer.statusCode;
      if (status >= 200 && status < 300) return;
      if (status === 401 && auth && attempt === 0) {
        const challenge = answer.headers['www-authenticate'];
        await auth.challenged(challenge === undefined ? [] : Array.isArray(challenge) ? challenge : [challenge]);
        continue;
      }
      const what = `the Notary server ${server.host} refused the update of ${gun}: ${notaryErrorText(status, text)}`;
      if (status === 401) throw new HttpError('UNAUTHORIZED', what, { status });
      if (status === 403) throw new HttpError('DENIED', what, { status });
      if (status >= 500) throw new HttpError('SERVER', what, { status });
      throw new NotaryPublishError('PUBLISH_REFUSED', what);
    }
  } finally {
    await dispatcher.close();
  }
}

async function send(url: URL, where: string, body: Buffer, contentType: string, dispatcher: Agent, authorization: Record<string, string>): Promise<Awaited<ReturnType<typeof request>>> {
  try {
    return await request(url, { method: 'POST', body, headers: { 'content-type': contentType, 'user-agent': 'portcullis', ...authorization }, dispatcher });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = `${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message}`;
    if (typeof code === 'string' && (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code))) {
      throw new HttpError('TLS', `publishing trust data: TLS failure talking to ${where}: ${reason}`, { cause: error });
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      throw new HttpError('TIMEOUT', `publishing trust data: ${where} did not answer (${code})`, { cause: error });
    }
    throw new HttpError('UNREACHABLE', `publishing trust data: cannot reach ${where}: ${reason}`, { cause: error });
  }
}
