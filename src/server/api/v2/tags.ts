/**
 * `GET /v2/<name>/tags/list`: a repository's tags in byte order, paged with
 * `n`/`last`. Without `n` at most MAX_PAGE (10,000) are served with a Link to
 * the rest, as with a bigger `n`: a pusher can make a million tags, and one
 * request must not hold them all (clients follow the Link, as for the
 * catalog). An unknown repository is NAME_UNKNOWN, as distribution answers,
 * so a client can tell "no such repository" from "no tags yet".
 */
import type { FastifyReply } from 'fastify';
import { ServeError } from '../../errors.js';
import { sendJson, type V2Context } from './context.js';
import { MAX_PAGE, pageOf, pageResult } from './paging.js';

export function unknownRepository(name: string): ServeError {
  return new ServeError('NAME_UNKNOWN', `repository ${name} is unknown`, { detail: { name } });
}

export async function listTags(ctx: V2Context, name: string): Promise<FastifyReply> {
  if (!(await ctx.services.metadata.repositoryExists(name))) throw unknownRepository(name);
  const request = pageOf(ctx.query, MAX_PAGE);
  const tags = request.n === 0 ? [] : await ctx.services.metadata.listTags(name, request.page);
  const { entries, link } = pageResult(tags, request, `/v2/${name}/tags/list`);
  if (link) ctx.reply.header('Link', link);
  return sendJson(ctx, 200, { name, tags: entries });
}
