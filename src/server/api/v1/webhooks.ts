/**
 * `/api/v1/projects/PROJECT/webhooks`: a project's webhooks and their delivery
 * log, for the project's admins (and registry administrators); a project the
 * caller cannot see is 404, one they may only pull from 403.
 *
 *   GET    …/webhooks                                  list (never the secrets)
 *   POST   …/webhooks                                  {"url","events","format","description","enabled","secret"} → 201, the secret once
 *   GET    …/webhooks/ID
 *   PATCH  …/webhooks/ID                               any of those fields, or {"rotateSecret":true} → the new secret once
 *   DELETE …/webhooks/ID                               with its delivery log
 *   GET    …/webhooks/ID/deliveries                    newest first, paged (`n`, `last` = a delivery's `sequence`)
 *   GET    …/webhooks/ID/deliveries/DELIVERY           with the body sent and the start of the answer
 *   POST   …/webhooks/ID/deliveries/DELIVERY/redeliver queues the same body again as a new delivery → 202
 *
 * `events` defaults to every event (`format` portcullis) or to
 * vulnerability.new and vulnerability.fixed (`format` clair, which carries
 * nothing else). The secret is generated (256 bits) unless given (16 to 256
 * characters); it is stored sealed (webhooks/secrets.ts) and only ever shown
 * in the answer that set it. URLs are checked (webhooks/targets.ts): http(s),
 * no credentials, and no address the operator has not allowed. Every change
 * and redelivery is an audit event (audit/notes.ts): webhook.created,
 * webhook.changed, webhook.secret (a PATCH that set or rotated the secret),
 * webhook.deleted, webhook.redelivered; URLs without their query, never a secret.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { noteAudit } from '../../audit/notes.js';
import { WEBHOOK_FORMATS, type DeliveryRecord, type WebhookFormat, type WebhookRecord } from '../../metadata/webhook-store.js';
import { isWebhookEvent, WEBHOOK_EVENTS, type WebhookEvent } from '../../webhooks/events.js';
import { newWebhookSecret } from '../../webhooks/secrets.js';
import { MAX_WEBHOOKS_PER_PROJECT, type WebhookService } from '../../webhooks/service.js';
import { checkTarget } from '../../webhooks/targets.js';
import { ApiError, bodyOf, nowIso, pageOf, sendPage, stringField, type ActingContext } from './context.js';
import type { Route } from './plugin.js';
import { paramOf, visibleProject } from './projects.js';

export const CLAIR_EVENTS: readonly WebhookEvent[] = ['vulnerability.new', 'vulnerability.fixed'];

export function webhookView(w: WebhookRecord): Record<string, unknown> {
  return { id: w.id, project: w.project, url: w.url, events: w.events, format: w.format, description: w.description ?? null, enabled: w.enabled, createdAt: w.createdAt, updatedAt: w.updatedAt };
}

export function deliveryView(d: DeliveryRecord, full = false): Record<string, unknown> {
  return {
    id: d.id,
    sequence: d.seq ?? null,
    event: d.event,
    eventId: d.eventId,
    state: d.state,
    attempts: d.attempts,
    responseStatus: d.responseStatus ?? null,
    error: d.error ?? null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    nextAttemptAt: d.state === 'pending' ? d.nextAttemptAt : null,
    completedAt: d.completedAt ?? null,
    redeliveryOf: d.redeliveryOf ?? null,
    ...(full ? { body: JSON.parse(d.body) as unknown, responseExcerpt: d.responseExcerpt ?? null } : {}),
  };
}

export function registerWebhooks(route: Route, webhooks: WebhookService): void {
  const base = '/projects/:project/webhooks';

  route('GET', base, async (ctx) => {
    const project = await visibleProject(ctx, paramOf(ctx, 'project'), true);
    return ctx.reply.code(200).send({ webhooks: (await webhooks.store.listWebhooks(project.name)).map(webhookView) });
  });

  route('POST', base, async (ctx) => {
    const { webhook, secret } = await createWebhook(ctx, webhooks, paramOf(ctx, 'project'), bodyOf(ctx.request));
    return ctx.reply.code(201).header('location', `/api/v1/projects/${webhook.project}/webhooks/${webhook.id}`).send({ ...webhookView(webhook), secret });
  });

  route('GET', `${base}/:webhook`, async (ctx) => ctx.reply.code(200).send(webhookView(await webhookOf(ctx, webhooks, paramOf(ctx, 'project'), paramOf(ctx, 'webhook')))));

  route('PATCH', `${base}/:webhook`, async (ctx) => {
    const { webhook, secret } = await changeWebhook(ctx, webhooks, paramOf(ctx, 'project'), paramOf(ctx, 'webhook'), bodyOf(ctx.request));
    return ctx.reply.code(200).send({ ...webhookView(webhook), ...(secret !== undefined ? { secret } : {}) });
  });

  route('DELETE', `${base}/:webhook`, async (ctx) => {
    await deleteWebhook(ctx, webhooks, paramOf(ctx, 'project'), paramOf(ctx, 'webhook'));
    return ctx.reply.code(204).send();
  });

  route('GET', `${base}/:webhook/deliveries`, async (ctx) => {
    const webhook = await webhookOf(ctx, webhooks, paramOf(ctx, 'project'), paramOf(ctx, 'webhook'));
    const { page, n } = pageOf(ctx.request);
    if (page.last !== undefined && !/^\d{1,15}$/.test(page.last)) throw new ApiError('INVALID', 'last must be the sequence number of a delivery');
    const items = await webhooks.store.listDeliveries(webhook.id, { ...(page.last !== undefined ? { before: Number(page.last) } : {}), limit: n + 1 });
    return sendPage(ctx, `/api/v1/projects/${webhook.project}/webhooks/${webhook.id}/deliveries`, 'deliveries', items, n, (d) => String(d.seq ?? ''), (d) => deliveryView(d));
  });

  route('GET', `${base}/:webhook/deliveries/:delivery`, async (ctx) => ctx.reply.code(200).send(deliveryView(await deliveryOf(webhooks, await webhookOf(ctx, webhooks, paramOf(ctx, 'project'), paramOf(ctx, 'webhook')), paramOf(ctx, 'delivery')), true)));

  route('POST', `${base}/:webhook/deliveries/:delivery/redeliver`, async (ctx): Promise<FastifyReply> =>
    ctx.reply.code(202).send(deliveryView(await redeliver(ctx, webhooks, paramOf(ctx, 'project'), paramOf(ctx, 'webhook'), paramOf(ctx, 'delivery')))),
  );
}

/** A new webhook of `projectName` (the POST body's fields; the project's admin role needed), with its secret, shown this once. The audit note `webhook.created`. */
export async function createWebhook(ctx: ActingContext, webhooks: WebhookService, projectName: string, body: Readonly<Record<string, unknown>>): Promise<{ webhook: WebhookRecord; secret: string }> {
  const project = await visibleProject(ctx, projectName, true);
  const format = formatOf(body.format) ?? 'portcullis';
  const events = eventsOf(body.events) ?? (format === 'clair' ? CLAIR_EVENTS : WEBHOOK_EVENTS);
  checkFormat(format, events);
  const url = urlOf(webhooks, stringField(body, 'url', true));
  const description = descriptionOf(body.description);
  if (body.enabled !== undefined && typeof body.enabled !== 'boolean') throw new ApiError('INVALID', '"enabled" must be true or false');
  const secret = secretOf(body.secret) ?? newWebhookSecret();
  if ((await webhooks.store.listWebhooks(project.name)).length >= MAX_WEBHOOKS_PER_PROJECT) throw new ApiError('CONFLICT', `project ${project.name} has ${MAX_WEBHOOKS_PER_PROJECT} webhooks already: delete one first`);
  const id = randomBytes(8).toString('hex');
  const now = nowIso(ctx);
  const webhook: WebhookRecord = {
    id,
    project: project.name,
    url,
    events: [...new Set(events)],
    format,
    sealedSecret: webhooks.secrets.seal(secret, id),
    ...(description ? { description } : {}),
    enabled: body.enabled !== false,
    createdAt: now,
    updatedAt: now,
  };
  if (!(await webhooks.store.createWebhook(webhook))) throw new ApiError('NOT_FOUND', `project ${project.name} does not exist`);
  ctx.request.log.info({ event: 'webhook.created', project: project.name, webhook: id, url: logUrl(url), events: webhook.events, format }, `webhook ${id} created in ${project.name}`);
  noteAudit(ctx.request, { action: 'webhook.created', project: project.name, detail: { webhook: id, url: logUrl(url), events: webhook.events, format, enabled: webhook.enabled } });
  return { webhook, secret };
}

/** Changes a webhook of `projectName` (the PATCH body's fields; the project's admin role needed); a set or rotated secret is returned this once. The audit note `webhook.changed`, or `webhook.secret` when the secret changed. */
export async function changeWebhook(ctx: ActingContext, webhooks: WebhookService, projectName: string, id: string, body: Readonly<Record<string, unknown>>): Promise<{ webhook: WebhookRecord; secret?: string }> {
  const current = await webhookOf(ctx, webhooks, projectName, id);
  const format = formatOf(body.format) ?? current.format;
  const events = eventsOf(body.events) ?? (body.format !== undefined && format === 'clair' ? CLAIR_EVENTS : current.events);
  checkFormat(format, events);
  const url = body.url !== undefined ? urlOf(webhooks, stringField(body, 'url', true)) : current.url;
  const description = body.description === null ? undefined : body.description !== undefined ? descriptionOf(body.description) : current.description;
  if (body.enabled !== undefined && typeof body.enabled !== 'boolean') throw new ApiError('INVALID', '"enabled" must be true or false');
  if (body.rotateSecret !== undefined && body.rotateSecret !== true) throw new ApiError('INVALID', '"rotateSecret" takes true');
  if (body.rotateSecret === true && body.secret !== undefined) throw new ApiError('INVALID', 'give "secret" or "rotateSecret", not both');
  const secret = secretOf(body.secret) ?? (body.rotateSecret === true ? newWebhookSecret() : undefined);
  const webhook: WebhookRecord = {
    ...current,
    url,
    events: [...new Set(events)],
    format,
    ...(description ? { description } : { description: undefined }),
    enabled: typeof body.enabled === 'boolean' ? body.enabled : current.enabled,
    sealedSecret: secret !== undefined ? webhooks.secrets.seal(secret, current.id) : current.sealedSecret,
    updatedAt: nowIso(ctx),
  };
  if (!(await webhooks.store.updateWebhook(webhook))) throw notFound(current.id);
  ctx.request.log.info(
    { event: 'webhook.changed', project: current.project, webhook: current.id, url: logUrl(url), events: webhook.events, format, enabled: webhook.enabled, secretChanged: secret !== undefined },
    `webhook ${current.id} of ${current.project} changed`,
  );
  const changed = changedFields(current, webhook);
  noteAudit(ctx.request, {
    action: secret !== undefined ? 'webhook.secret' : 'webhook.changed',
    project: current.project,
    detail: { webhook: current.id, changed, ...(changed.includes('url') ? { url: logUrl(url) } : {}), ...(changed.includes('events') ? { events: webhook.events } : {}), ...(changed.includes('format') ? { format } : {}), ...(changed.includes('enabled') ? { enabled: webhook.enabled } : {}), ...(secret !== undefined ? { secret: body.rotateSecret === true ? 'rotated' : 'set' } : {}) },
  });
  return { webhook, ...(secret !== undefined ? { secret } : {}) };
}

/** Deletes a webhook of `projectName` with its delivery log (the project's admin role needed); the audit note `webhook.deleted`. */
export async function deleteWebhook(ctx: ActingContext, webhooks: WebhookService, projectName: string, id: string): Promise<void> {
  const current = await webhookOf(ctx, webhooks, projectName, id);
  if (!(await webhooks.store.deleteWebhook(current.project, current.id))) throw notFound(current.id);
  ctx.request.log.info({ event: 'webhook.deleted', project: current.project, webhook: current.id }, `webhook ${current.id} of ${current.project} deleted`);
  noteAudit(ctx.request, { action: 'webhook.deleted', project: current.project, detail: { webhook: current.id, url: logUrl(current.url) } });
}

/** Queues the body of one delivery again as a new delivery (the project's admin role needed); the audit note `webhook.redelivered`. */
export async function redeliver(ctx: ActingContext, webhooks: WebhookService, projectName: string, id: string, deliveryId: string): Promise<DeliveryRecord> {
  const webhook = await webhookOf(ctx, webhooks, projectName, id);
  const copy = await webhooks.redeliver(webhook, (await deliveryOf(webhooks, webhook, deliveryId)).id);
  if (!copy) throw new ApiError('NOT_FOUND', 'no such delivery');
  ctx.request.log.info({ event: 'webhook.redelivery', project: webhook.project, webhook: webhook.id, delivery: copy.id, of: copy.redeliveryOf }, `webhook ${webhook.id}: delivery ${copy.redeliveryOf ?? ''} queued again`);
  noteAudit(ctx.request, { action: 'webhook.redelivered', project: webhook.project, detail: { webhook: webhook.id, delivery: copy.id, of: copy.redeliveryOf ?? null, event: copy.event } });
  return copy;
}

/** The webhook when the caller may manage its project (404 for a project they cannot see or a webhook it does not have, 403 without the admin role). */
export async function webhookOf(ctx: ActingContext, webhooks: WebhookService, projectName: string, id: string): Promise<WebhookRecord> {
  const project = await visibleProject(ctx, projectName, true);
  const webhook = /^[0-9a-f]{16}$/.test(id) ? await webhooks.store.getWebhook(project.name, id) : undefined;
  if (!webhook) throw notFound(id);
  return webhook;
}

async function deliveryOf(webhooks: WebhookService, webhook: WebhookRecord, id: string): Promise<DeliveryRecord> {
  const delivery = /^[0-9a-f-]{36}$/.test(id) ? await webhooks.store.getDelivery(webhook.id, id) : undefined;
  if (!delivery) throw new ApiError('NOT_FOUND', `webhook ${webhook.id} has no delivery ${id.slice(0, 40)}`);
  return delivery;
}

/** The fields a PATCH changed (the secret is told apart: `webhook.secret`). */
function changedFields(before: WebhookRecord, after: WebhookRecord): string[] {
  const out: string[] = [];
  if (before.url !== after.url) out.push('url');
  if (before.events.length !== after.events.length || before.events.some((e, i) => after.events[i] !== e)) out.push('events');
  if (before.format !== after.format) out.push('format');
  if ((before.description ?? '') !== (after.description ?? '')) out.push('description');
  if (before.enabled !== after.enabled) out.push('enabled');
  return out;
}

function notFound(id: string): ApiError {
  return new ApiError('NOT_FOUND', `no webhook ${id.slice(0, 40)} in this project`);
}

function urlOf(webhooks: WebhookService, text: string): string {
  const checked = checkTarget(text, webhooks.policy);
  if ('problem' in checked) throw new ApiError('INVALID', `"url": ${checked.problem}`);
  return checked.url.toString();
}

function formatOf(value: unknown): WebhookFormat | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(WEBHOOK_FORMATS as readonly string[]).includes(value)) throw new ApiError('INVALID', `"format" must be ${WEBHOOK_FORMATS.join(' or ')}`);
  return value as WebhookFormat;
}

function eventsOf(value: unknown): readonly WebhookEvent[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > WEBHOOK_EVENTS.length * 2 || !value.every(isWebhookEvent)) {
    throw new ApiError('INVALID', `"events" must list some of ${WEBHOOK_EVENTS.join(', ')}`);
  }
  return value as WebhookEvent[];
}

function checkFormat(format: WebhookFormat, events: readonly WebhookEvent[]): void {
  if (format === 'clair' && !events.every((e) => CLAIR_EVENTS.includes(e))) {
    throw new ApiError('INVALID', 'format clair carries only vulnerability.new and vulnerability.fixed (Clair\'s notifications are about vulnerabilities)');
  }
}

function descriptionOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 1024) throw new ApiError('INVALID', '"description" must be a string of at most 1024 characters');
  return value === '' ? undefined : value;
}

function secretOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length < 16 || value.length > 256 || !/^[\x21-\x7e]+$/.test(value)) {
    throw new ApiError('INVALID', '"secret" must be 16 to 256 printable ASCII characters without spaces (or leave it out: one is generated)');
  }
  return value;
}

/** The URL for the log: scheme, host and path, no query (which may carry a token the receiver expects). */
function logUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
