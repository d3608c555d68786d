/**
 * `GET /v2/_catalog`: repository names in byte order, paged. Without `n` the
 * first 1000 are served with a Link to the rest (distribution pages its
 * catalog too), so one request never walks an unbounded table.
 */
import type { FastifyReply } from 'fastify';
import { sendJson, type V2Context } from './context.js';
import { pageOf, pageResult } from './paging.js';

export const DEFAULT_CATALOG_PAGE = 1000;

export async function listCatalog(ctx: V2Context): Promise<FastifyReply> {
  const request = pageOf(ctx.query, DEFAULT_CATALOG_PAGE);
  const names = request.n === 0 ? [] : await ctx.services.metadata.listRepositories(request.page);
  const { entries, link } = pageResult(names, request, '/v2/_catalog');
  if (link) ctx.reply.header('Link', link);
  return sendJson(ctx, 200, { repositories: entries });
}
