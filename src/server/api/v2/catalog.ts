/**
 * `GET /v2/_catalog`: repository names in byte order, paged. Without `n` the
 * first 1000 are served with a Link to the rest (distribution pages its
 * catalog too), so one request never walks an unbounded table.
 *
 * Only repositories the caller may pull are listed (access.ts
 * catalogFilter): a project the caller cannot see does not appear at all.
 * With a filter, the store is read in pages of PAGE_SCAN names until the
 * page is full or the names run out, so a request reads at most the
 * repositories that sort before the end of its page: linear in the catalog,
 * never more, with memory for one store page at a time.
 */
import type { FastifyReply } from 'fastify';
import { catalogFilter } from './access.js';
import { sendJson, type V2Context } from './context.js';
import { pageOf, pageResult } from './paging.js';

export const DEFAULT_CATALOG_PAGE = 1000;
const PAGE_SCAN = 1000;

export async function listCatalog(ctx: V2Context): Promise<FastifyReply> {
  const request = pageOf(ctx.query, DEFAULT_CATALOG_PAGE);
  const visible = ctx.caller ? await catalogFilter(ctx.services.auth, ctx.caller) : undefined;
  let names: string[];
  if (request.n === 0) names = [];
  else if (!visible) names = await ctx.services.metadata.listRepositories(request.page);
  else names = await filtered(ctx, visible, request.page.last, request.page.limit);
  const { entries, link } = pageResult(names, request, '/v2/_catalog');
  if (link) ctx.reply.header('Link', link);
  return sendJson(ctx, 200, { repositories: entries });
}

/** Up to `limit` names after `last` that pass `visible`, reading the store a page at a time. */
async function filtered(ctx: V2Context, visible: (name: string) => boolean, last: string | undefined, limit: number | undefined): Promise<string[]> {
  const out: string[] = [];
  let after = last;
  for (;;) {
    const page = await ctx.services.metadata.listRepositories({ ...(after !== undefined ? { last: after } : {}), limit: PAGE_SCAN });
    for (const name of page) {
      if (visible(name)) out.push(name);
      if (limit !== undefined && out.length >= limit) return out;
    }
    if (page.length < PAGE_SCAN) return out;
    after = page[page.length - 1];
  }
}
