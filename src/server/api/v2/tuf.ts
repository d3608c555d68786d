/**
 * `/v2/<gun>/_trust/tuf/…`: Notary v1 (Docker Content Trust) shares the `/v2`
 * prefix; this hands those requests to the Notary service when one is
 * configured, with the body buffered under a cap (TUF metadata is small JSON),
 * and with a way to ask whether the caller may push to the GUN's repository
 * (the service asks before a read would create a server key).
 */
import type { FastifyReply } from 'fastify';
import { ServeError } from '../../errors.js';
import { ANONYMOUS } from '../../auth/principal.js';
import { errorResponse } from '../../notary/errors.js';
import type { TufRequest, TufResponse } from '../../services.js';
import { mayAlso, repositoryOfGun } from './access.js';
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
  return send(ctx, await notary.handle(request));
}

/** Push access to `gun`'s repository: what the dispatcher already granted for a write, else asked as for any request. */
async function mayPush(ctx: V2Context, gun: string): Promise<boolean> {
  // The dispatcher asked for push access already (access.ts actionOf).
  if (ctx.method === 'POST' || ctx.method === 'PUT' || ctx.method === 'PATCH' || ctx.method === 'DELETE') return true;
  // No authentication configured: anyone who reaches the port may push (docs/serve.md).
  return mayAlso(ctx, ctx.services.auth, ctx.caller ?? { principal: ANONYMOUS }, 'push', repositoryOfGun(gun));
}

/** Notary's answer for metadata that does not exist: also the answer for trust data the caller may not see. */
export function unknownTrustData(ctx: V2Context): FastifyReply {
  return send(ctx, errorResponse('METADATA_NOT_FOUND'));
}

function send(ctx: V2Context, response: TufResponse): FastifyReply {
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  ctx.reply.code(response.status).header('Content-Length', body.length);
  if (response.contentType) ctx.reply.header('Content-Type', response.contentType);
  return ctx.reply.send(ctx.method === 'HEAD' ? undefined : body);
}
