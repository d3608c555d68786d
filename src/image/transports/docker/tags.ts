/**
 * Tag (and catalog) listing with `Link` pagination (`?n=` page size, `last=` cursor): the
 * registry's `Link: <…>; rel="next"` is followed until it stops.
 * Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags
 */
import { repositoryScope } from './auth.js';
import { readBounded, readErrorBody, type RegistryClient } from './client.js';
import { errorFromResponse, RegistryError } from './errors.js';
import { headerValues } from './http.js';
import { appendAll } from '../../../core/index.js';

const MAX_TAGS_PAGE = 16 * 1024 * 1024;
const MAX_PAGES = 10_000;

export async function* tagPages(client: RegistryClient, repository: string, options: { pageSize?: number }): AsyncGenerator<string[]> {
  const target = `/v2/${repository}/tags/list${options.pageSize ? `?n=${options.pageSize}` : ''}`;
  yield* pages(client, target, [repositoryScope(repository, ['pull'])], 'tags', `tags of ${client.registry}/${repository}`);
}

export async function listTags(client: RegistryClient, repository: string, options: { pageSize?: number }): Promise<string[]> {
  const all: string[] = [];
  for await (const page of tagPages(client, repository, options)) appendAll(all, page);
  return all;
}

/** `GET /v2/_catalog` pages (a registry extension most registries restrict; needs `registry:catalog:*`). */
export async function* catalogPages(client: RegistryClient, options: { pageSize?: number }): AsyncGenerator<string[]> {
  const target = `/v2/_catalog${options.pageSize ? `?n=${options.pageSize}` : ''}`;
  yield* pages(client, target, ['registry:catalog:*'], 'repositories', `catalog of ${client.registry}`);
}

async function* pages(client: RegistryClient, first: string, scopes: string[], field: string, what: string): AsyncGenerator<string[]> {
  let target: string | URL = first;
  const seen = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.send({ method: 'GET', target, scopes, headers: { accept: 'application/json' }, what });
    if (res.status !== 200) throw errorFromResponse(what, res.status, await readErrorBody(res));
    const body = await readBounded(res, MAX_TAGS_PAGE, what);
    yield parseList(body, field, what);
    const next = nextLink(headerValues(res.headers, 'link'));
    if (!next) return;
    const url = new URL(next, res.url);
    if (seen.has(url.href)) throw new RegistryError('PROTOCOL', `${what}: pagination loops`);
    seen.add(url.href);
    target = url;
  }
  throw new RegistryError('PROTOCOL', `${what}: more than ${MAX_PAGES} pages`);
}

function parseList(body: Buffer, field: string, what: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new RegistryError('PROTOCOL', `${what}: response is not JSON`, { cause: error });
  }
  if (typeof json !== 'object' || json === null) throw new RegistryError('PROTOCOL', `${what}: response is not an object`);
  const tags = (json as Record<string, unknown>)[field];
  if (tags === null || tags === undefined) return [];
  if (!Array.isArray(tags)) throw new RegistryError('PROTOCOL', `${what}: "${field}" is not a list`);
  return tags.filter((t): t is string => typeof t === 'string');
}

/** The `rel="next"` target of RFC 8288 Link header values. */
export function nextLink(values: readonly string[]): string | undefined {
  for (const value of values) {
    for (const part of value.split(/,(?=\s*<)/)) {
      const match = /^\s*<([^>]*)>(.*)$/.exec(part);
      if (!match) continue;
      const params = match[2] ?? '';
      if (/;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(params)) return match[1];
    }
  }
  return undefined;
}
