/**
 * `GET /v2/`: the version check every client makes first, and the request
 * `docker login` uses to learn the auth challenge (the dispatcher has already
 * checked auth by the time this answers).
 */
import type { FastifyReply } from 'fastify';
import { sendJson, type V2Context } from './context.js';

export function base(ctx: V2Context): FastifyReply {
  return sendJson(ctx, 200, {});
}
