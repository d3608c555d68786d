/**
 * Reading response bodies from a registry with caps: error bodies only for
 * their message, everything else refused past its limit before it is read.
 */
import { readAllBounded, CoreError } from '../../../core/index.js';
import { RegistryError } from './errors.js';
import { networkError, type HttpResponse } from './http.js';

/** Error bodies are read for their message only; never more than this. */
export const MAX_ERROR_BODY = 64 * 1024;

/** Reads a small body for an error message (and to free the connection). */
export async function readErrorBody(res: HttpResponse): Promise<Buffer | undefined> {
  if (res.status >= 200 && res.status < 300) {
    await res.body.dump().catch(() => undefined);
    return undefined;
  }
  try {
    return await readAllBounded(res.body, MAX_ERROR_BODY, 'error body');
  } catch {
    return undefined;
  }
}

/** Reads a body with a cap; over the cap is TOO_LARGE without reading the rest. */
export async function readBounded(res: HttpResponse, max: number, what: string): Promise<Buffer> {
  try {
    return await readAllBounded(res.body, max, what);
  } catch (error) {
    if (error instanceof CoreError && error.code === 'TOO_LARGE') {
      throw new RegistryError('TOO_LARGE', `${what} is larger than the ${max}-byte limit`, { cause: error });
    }
    throw networkError(error, what, res.url, res.idleTimeoutMs);
  }
}
