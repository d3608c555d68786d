/**
 * Blob uploads: monolithic (POST to open a session, then one PUT with the
 * bytes and `?digest=`), chunked (PATCH chunks with Content-Range, then a
 * closing PUT), and cross-repository mounts. The bytes are verified against
 * the descriptor as they go out, so a wrong stream fails here and the upload
 * session is cancelled, never completed.
 * Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs
 */
import { Readable } from 'node:stream';
import { CoreError, verifyBytes, type Digest, type Descriptor } from '../../../core/index.js';
import { repositoryScope } from './auth.js';
import type { RegistryClient } from './client.js';
import { readErrorBody } from './client.js';
import { errorFromResponse, RegistryError } from './errors.js';
import { header, networkError } from './http.js';

export interface PutBlobOptions {
  /** Upload in PATCH chunks of this many bytes instead of one PUT (each chunk is held in memory). */
  chunkSize?: number;
}

type BlobRef = Pick<Descriptor, 'digest' | 'size'>;

export async function putBlob(client: RegistryClient, repository: string, descriptor: BlobRef, content: Readable | Buffer, options: PutBlobOptions): Promise<void> {
  const what = `blob upload ${client.registry}/${repository}@${descriptor.digest}`;
  const scopes = [repositoryScope(repository, ['pull', 'push'])];
  let location = await startUpload(client, repository, what, scopes);
  try {
    if (options.chunkSize !== undefined && options.chunkSize > 0) {
      location = await sendChunks(client, location, descriptor, content, options.chunkSize, what, scopes);
      await finish(client, location, descriptor.digest, undefined, 0, what, scopes);
    } else {
      let body: Buffer | Readable;
      if (Buffer.isBuffer(content)) {
        verifyBytes(content, descriptor.digest, what);
        if (descriptor.size >= 0 && content.length !== descriptor.size) {
          throw new RegistryError('PROTOCOL', `${what}: ${content.length} bytes given for a ${descriptor.size}-byte descriptor`);
        }
        body = content;
      } else {
        body = verified(content, descriptor, what, client);
      }
      await finish(client, location, descriptor.digest, body, descriptor.size, what, scopes);
    }
  } catch (error) {
    await cancel(client, location, scopes);
    throw error;
  }
}

export async function mountBlob(client: RegistryClient, repository: string, digest: Digest, fromRepository: string): Promise<boolean> {
  const what = `blob mount ${client.registry}/${repository}@${digest} from ${fromRepository}`;
  const scopes = [repositoryScope(repository, ['pull', 'push']), repositoryScope(fromRepository, ['pull'])];
  const query = new URLSearchParams({ mount: digest, from: fromRepository });
  const res = await client.send({ method: 'POST', target: `/v2/${repository}/blobs/uploads/?${query.toString()}`, scopes, what });
  const body = await readErrorBody(res);
  if (res.status === 201) return true;
  if (res.status === 202) {
    // The registry opened an ordinary upload session instead; we do not use it.
    const location = header(res.headers, 'location');
    if (location) await cancel(client, new URL(location, res.url), scopes);
    return false;
  }
  throw errorFromResponse(what, res.status, body);
}

async function startUpload(client: RegistryClient, repository: string, what: string, scopes: readonly string[]): Promise<URL> {
  const res = await client.send({ method: 'POST', target: `/v2/${repository}/blobs/uploads/`, scopes, headers: { 'content-length': '0' }, what });
  const body = await readErrorBody(res);
  if (res.status !== 202) throw errorFromResponse(what, res.status, body);
  return uploadLocation(res.headers.location, res.url, what);
}

function uploadLocation(value: string | string[] | undefined, base: URL, what: string): URL {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) throw new RegistryError('PROTOCOL', `${what}: the registry sent no upload Location`);
  try {
    return new URL(text, base);
  } catch (error) {
    throw new RegistryError('PROTOCOL', `${what}: invalid upload Location`, { cause: error });
  }
}

async function sendChunks(
  client: RegistryClient,
  start: URL,
  descriptor: BlobRef,
  content: Readable | Buffer,
  chunkSize: number,
  what: string,
  scopes: readonly string[],
): Promise<URL> {
  const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
  const stream = verified(source, descriptor, what, client);
  let location = start;
  let offset = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    const chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    const res = await client.send({
      method: 'PATCH',
      target: location,
      scopes,
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${offset}-${offset + chunk.length - 1}`,
        'content-length': String(chunk.length),
      },
      body: chunk,
      transfer: true,
      what,
    });
    const body = await readErrorBody(res);
    if (res.status !== 202) throw errorFromResponse(`${what} (chunk at ${offset})`, res.status, body);
    location = uploadLocation(res.headers.location, res.url, what);
    offset += chunk.length;
  };
  for await (const piece of stream) {
    const buf = piece as Buffer;
    let at = 0;
    while (at < buf.length) {
      const take = Math.min(chunkSize - pendingBytes, buf.length - at);
      pending.push(buf.subarray(at, at + take));
      pendingBytes += take;
      at += take;
      if (pendingBytes === chunkSize) await flush();
    }
  }
  await flush();
  return location;
}

async function finish(
  client: RegistryClient,
  location: URL,
  digest: Digest,
  body: Buffer | Readable | undefined,
  length: number,
  what: string,
  scopes: readonly string[],
): Promise<void> {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(body === undefined ? 0 : length) };
  let res;
  try {
    res = await client.send({ method: 'PUT', target: url, scopes, headers, ...(body === undefined ? {} : { body, transfer: true }), what });
  } catch (error) {
    throw networkError(error, what, url);
  }
  const errorBody = await readErrorBody(res);
  if (res.status !== 201 && res.status !== 204) {
    const error = errorFromResponse(what, res.status, errorBody);
    // The registry hashed what we sent and it is not the descriptor's blob: the content is wrong, not the request.
    if (error.registryCodes.includes('DIGEST_INVALID') || error.registryCodes.includes('SIZE_INVALID')) {
      throw new CoreError('DIGEST_MISMATCH', `${what}: the bytes sent do not match ${digest} (registry: ${error.message})`, { cause: error });
    }
    throw error;
  }
  const stored = header(res.headers, 'docker-content-digest');
  if (stored && stored !== digest) throw new RegistryError('PROTOCOL', `${what}: registry stored ${stored}`);
}

async function cancel(client: RegistryClient, location: URL, scopes: readonly string[]): Promise<void> {
  try {
    const res = await client.send({ method: 'DELETE', target: location, scopes, what: 'cancel upload' });
    await res.body.dump();
  } catch {
    // Best effort: the registry purges abandoned uploads on its own.
  }
}

/**
 * The upload body. Not hashed again here: the registry must verify the digest
 * given on the closing PUT (distribution-spec "Pushing blobs"), and a source
 * stream that fails its own verification aborts the request before that PUT
 * completes, so a second client-side hash only halved push throughput.
 */
function verified(content: Readable, descriptor: BlobRef, _what: string, client: RegistryClient): Readable {
  const onProgress = client.onProgress;
  if (!onProgress) return content;
  let transferred = 0;
  content.on('data', (chunk: Buffer) => {
    transferred += chunk.length;
    onProgress({ id: descriptor.digest, transferred, total: descriptor.size });
  });
  return content;
}
