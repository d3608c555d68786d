/**
 * `/v2/<gun>/_trust/tuf/…`: Notary v1 (Docker Content Trust) shares the `/v2`
 * prefix; this hands those requests to the Notary service when one is
 * configured, with the body buffered under a cap (TUF metadata is small JSON),
 * and with a way to ask whether the caller may push to the GUN's repository
 * (the service asks before a read would create a server key).
 */
import type { FastifyReply } from 'fastify';
import { ServeError } from '../../errors.js';
import type { TufRequest } from '../../services.js';
import { hasBody, MAX_TUF_BODY_BYTES, readBodyCapped, type V2Context } from './context.js';

export async function tuf(ctx: V2Context, gun: string, rest: string): Promise<FastifyReply> {
  const notary = ctx.services.notary;
  if (!notary) throw new ServeError('NAME_UNKNOWN', 'this registry has no trust service (Notary) configured', { detail: { gun } });
  const contentType = ctx.request.headers['content-type'];
  const request: TufRequest = {
    gun,
    path: rest,
    method: ctx.method,
    ...(contentType !== undefined ? { contentType } : {}),
    ...(hasBody(ctx) ? { body: await readBodyCapped(ctx, MAX_TUF_BODY_BYTES, 'trust metadata') } : {}),
    mayWrite: () => mayPush(ctx, gun),
  };
  const response = await notary.handle(request);
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  ctx.reply.code(response.status).header('Content-Length', body.length);
  if (response.contentType) ctx.reply.header('Content-Type', response.contentType);
  return ctx.reply.send(ctx.method === 'HEAD' ? undefined : body);
}

/** Push access to `gun`: what the dispatcher already granted for a write, else asked of the authenticator. */
async function mayPush(ctx: V2Context, gun: string): Promise<boolean> {
  const auth = ctx.services.auth;
  // No authentication configured: anyone who reaches the port may push (docs/serve.md).
  if (!auth) return true;
  // The dispatcher asked for push access already (dispatch.ts accessFor).
  if (ctx.method === 'POST' || ctx.method === 'PUT' || ctx.method === 'PATCH') return true;
  return (await auth.authorize(ctx.request, 'push', gun)).ok;
}
