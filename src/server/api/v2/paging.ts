/**
 * The spec's `n` / `last` paging for the tags list and the catalog, and the
 * `Link: <…>; rel="next"` header that tells a client there is more. One
 * entry past the page is fetched to know whether a next page exists, so a
 * page that ends exactly at the last entry gets no Link.
 */
import type { Page } from '../../metadata/store.js';
import { ServeError } from '../../errors.js';

export interface PageRequest {
  readonly page: Page;
  /** `n` as asked, when asked. */
  readonly n?: number;
}

/** Largest page served; a bigger `n` is served as this many, with a Link to the rest. */
export const MAX_PAGE = 10_000;

export function pageOf(query: URLSearchParams, defaultLimit?: number): PageRequest {
  const nText = query.get('n');
  const last = query.get('last') ?? undefined;
  let n: number | undefined;
  if (nText !== null && nText !== '') {
    if (!/^\d{1,9}$/.test(nText)) throw new ServeError('PAGINATION_NUMBER_INVALID', `invalid page size n="${nText}"`, { detail: { n: nText } });
    n = Math.min(Number(nText), MAX_PAGE);
  }
  const limit = n ?? defaultLimit;
  return {
    page: { ...(last !== undefined ? { last } : {}), ...(limit !== undefined ? { limit: limit + 1 } : {}) },
    ...(limit !== undefined ? { n: limit } : {}),
  };
}

/** Trims the extra entry and says where the next page starts, if there is one. */
export function pageResult(entries: string[], request: PageRequest, path: string): { entries: string[]; link?: string } {
  const n = request.n;
  if (n === undefined || entries.length <= n) return { entries };
  const kept = entries.slice(0, n);
  const last = kept[kept.length - 1];
  if (last === undefined) return { entries: kept };
  const query = new URLSearchParams({ n: String(n), last });
  return { entries: kept, link: `<${path}?${query.toString()}>; rel="next"` };
}
