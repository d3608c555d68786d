/** `/api/v1/projects/{project}/webhooks` in the OpenAPI document: as ../webhooks.ts answers. */
import { WEBHOOK_FORMATS } from '../../../metadata/webhook-store.js';
import { WEBHOOK_EVENTS } from '../../../webhooks/events.js';
import { MAX_WEBHOOKS_PER_PROJECT } from '../../../webhooks/service.js';
import { BODY_REFUSALS, TIMESTAMP, headerRef, json, parameterRef, pathParameter, refusal, schemaRef } from './components.js';
import { NOT_PROJECT_ADMIN, NO_SUCH_PROJECT, PROJECT } from './projects.js';
import type { ApiResource, JsonSchema } from './types.js';

const EVENT = { enum: [...WEBHOOK_EVENTS] } as const;
const FORMAT = { enum: [...WEBHOOK_FORMATS], description: '`portcullis`: our JSON body; `clair`: Clair v4\'s notification callback, only for vulnerability.new and vulnerability.fixed.' } as const;
const CLAIR_EVENT = { enum: ['vulnerability.new', 'vulnerability.fixed'] } as const;
const WEBHOOK_ID = pathParameter('webhook', 'The webhook\'s id (16 hex digits; anything else is 404).');
const DELIVERY_ID = pathParameter('delivery', 'The delivery\'s id (a UUID; anything else is 404).');
const NO_SUCH_WEBHOOK = refusal('No such project (or one the caller may not see), or no webhook by that id in it.', 'NOT_FOUND');
const NO_SUCH_DELIVERY = refusal('No such project (or one the caller may not see), no such webhook in it, or no such delivery of it.', 'NOT_FOUND');

const WEBHOOK_PROPERTIES = {
  id: { type: 'string', pattern: '^[0-9a-f]{16}$' },
  project: { type: 'string' },
  url: { type: 'string', format: 'uri', description: 'As normalised when it was checked.' },
  events: { type: 'array', items: EVENT },
  format: FORMAT,
  description: { type: ['string', 'null'] },
  enabled: { type: 'boolean' },
  createdAt: TIMESTAMP,
  updatedAt: TIMESTAMP,
} as const;
const WEBHOOK_REQUIRED = ['id', 'project', 'url', 'events', 'format', 'description', 'enabled', 'createdAt', 'updatedAt'] as const;
const SECRET = {
  type: 'string',
  minLength: 16,
  maxLength: 256,
  pattern: '^[\\x21-\\x7e]+$',
  description: 'The HMAC-SHA256 key of the signatures: 16 to 256 printable ASCII characters without spaces. Stored sealed; shown only in the answer that set it.',
} as const;
/** Clair's format carries only vulnerability events: `events` may name only those when `format` is clair. */
const CLAIR_EVENTS_ONLY: JsonSchema = {
  if: { type: 'object', required: ['format'], properties: { format: { const: 'clair' } } },
  then: { type: 'object', properties: { events: { type: 'array', items: CLAIR_EVENT } } },
};
const URL_DESCRIPTION =
  'http or https, no user or password in it; the address (a host name is resolved when delivering) must be public, or in a network the operator allowed (webhooks.allowedNetworks): a private, loopback or link-local one is 400.';

const DELIVERY_PROPERTIES = {
  id: { type: 'string', format: 'uuid' },
  sequence: { type: ['integer', 'null'], minimum: 0, description: 'The order of deliveries (the `last` of paging).' },
  event: EVENT,
  eventId: { type: 'string', description: 'The id in the body: a redelivery keeps it.' },
  state: { enum: ['pending', 'delivering', 'delivered', 'failed'] },
  attempts: { type: 'integer', minimum: 0 },
  responseStatus: { type: ['integer', 'null'], description: 'The status of the last attempt\'s answer.' },
  error: { type: ['string', 'null'], description: 'Why the last attempt failed.' },
  createdAt: TIMESTAMP,
  updatedAt: TIMESTAMP,
  nextAttemptAt: { type: ['string', 'null'], format: 'date-time', description: 'While pending.' },
  completedAt: { type: ['string', 'null'], format: 'date-time' },
  redeliveryOf: { type: ['string', 'null'], description: 'The delivery this one repeats.' },
} as const;
const DELIVERY_REQUIRED = Object.keys(DELIVERY_PROPERTIES);

export const webhooksApi: ApiResource = {
  tag: {
    name: 'webhooks',
    description:
      'Webhooks of one project: signed HTTP callbacks for pushes, deletes, scans, new and fixed vulnerabilities, refused pulls and signatures, delivered from an outbox with retries, and their delivery log. All operations need the project\'s admin role (or a registry administrator); robots may not. Every change and redelivery is an audit event.',
  },
  availability: 'accounts',
  schemas: {
    Webhook: { type: 'object', required: WEBHOOK_REQUIRED, additionalProperties: false, properties: WEBHOOK_PROPERTIES },
    WebhookList: { type: 'object', required: ['webhooks'], additionalProperties: false, properties: { webhooks: { type: 'array', maxItems: MAX_WEBHOOKS_PER_PROJECT, items: schemaRef('Webhook') } } },
    NewWebhookSecret: {
      type: 'object',
      required: [...WEBHOOK_REQUIRED, 'secret'],
      additionalProperties: false,
      properties: { ...WEBHOOK_PROPERTIES, secret: { type: 'string', description: 'The secret, shown this once.' } },
    },
    ChangedWebhook: {
      type: 'object',
      required: WEBHOOK_REQUIRED,
      additionalProperties: false,
      properties: { ...WEBHOOK_PROPERTIES, secret: { type: 'string', description: 'Only when this change set or rotated it: shown this once.' } },
    },
    NewWebhook: {
      type: 'object',
      required: ['url'],
      properties: {
        url: { type: 'string', description: URL_DESCRIPTION },
        events: { type: 'array', minItems: 1, maxItems: WEBHOOK_EVENTS.length * 2, items: EVENT, description: 'Default: every event (format portcullis), or vulnerability.new and vulnerability.fixed (format clair). Repeats are dropped.' },
        format: { ...FORMAT, default: 'portcullis' },
        description: { type: 'string', maxLength: 1024 },
        enabled: { type: 'boolean', default: true },
        secret: { ...SECRET, description: `${SECRET.description} Left out: 256 random bits are generated.` },
      },
      ...CLAIR_EVENTS_ONLY,
    },
    WebhookChange: {
      type: 'object',
      description: 'Any of the fields; those left out stay. Changing `format` to clair without `events` sets them to the two vulnerability events; the events must fit the format the webhook ends with.',
      properties: {
        url: { type: 'string', description: URL_DESCRIPTION },
        events: { type: 'array', minItems: 1, maxItems: WEBHOOK_EVENTS.length * 2, items: EVENT },
        format: FORMAT,
        description: { type: ['string', 'null'], maxLength: 1024, description: 'null or empty: none.' },
        enabled: { type: 'boolean' },
        secret: SECRET,
        rotateSecret: { const: true, description: 'A new generated secret, in the answer.' },
      },
      not: { type: 'object', required: ['secret', 'rotateSecret'], properties: { secret: true, rotateSecret: true } },
      ...CLAIR_EVENTS_ONLY,
    },
    Delivery: { type: 'object', required: DELIVERY_REQUIRED, additionalProperties: false, properties: DELIVERY_PROPERTIES },
    DeliveryWithBody: {
      type: 'object',
      required: [...DELIVERY_REQUIRED, 'body', 'responseExcerpt'],
      additionalProperties: false,
      properties: {
        ...DELIVERY_PROPERTIES,
        body: { description: 'The JSON body sent (for Clair\'s format, its callback body).' },
        responseExcerpt: { type: ['string', 'null'], description: 'The start of the last answer (at most 4 KiB).' },
      },
    },
    DeliveryList: { type: 'object', required: ['deliveries'], additionalProperties: false, properties: { deliveries: { type: 'array', items: schemaRef('Delivery') } } },
  },
  paths: {
    '/api/v1/projects/{project}/webhooks': {
      get: {
        operationId: 'listWebhooks',
        summary: 'List a project\'s webhooks (never their secrets)',
        access: 'signed-in',
        parameters: [PROJECT],
        responses: { 200: json('Every webhook of the project.', schemaRef('WebhookList')), 403: NOT_PROJECT_ADMIN, 404: NO_SUCH_PROJECT },
      },
      post: {
        operationId: 'createWebhook',
        summary: 'Add a webhook; the answer holds its secret, once',
        access: 'signed-in',
        parameters: [PROJECT],
        requestBody: { required: true, content: { 'application/json': { schema: schemaRef('NewWebhook') } } },
        responses: {
          201: json('Created.', schemaRef('NewWebhookSecret'), { Location: headerRef('Location') }),
          400: refusal('Not a JSON object, a field that breaks the rules, or a URL that may not be reached.', 'INVALID'),
          403: NOT_PROJECT_ADMIN,
          404: NO_SUCH_PROJECT,
          409: refusal(`The project has ${MAX_WEBHOOKS_PER_PROJECT} webhooks already.`, 'CONFLICT'),
          ...BODY_REFUSALS,
        },
      },
    },
    '/api/v1/projects/{project}/webhooks/{webhook}': {
      get: {
        operationId: 'getWebhook',
        summary: 'Read a webhook (never its secret)',
        access: 'signed-in',
        parameters: [PROJECT, WEBHOOK_ID],
        responses: { 200: json('The webhook.', schemaRef('Webhook')), 403: NOT_PROJECT_ADMIN, 404: NO_SUCH_WEBHOOK },
      },
      patch: {
        operationId: 'changeWebhook',
        summary: 'Change a webhook, or set or rotate its secret',
        access: 'signed-in',
        parameters: [PROJECT, WEBHOOK_ID],
        requestBody: { required: true, content: { 'application/json': { schema: schemaRef('WebhookChange') } } },
        responses: {
          200: json('The webhook as it is now, with the secret when this change set it.', schemaRef('ChangedWebhook')),
          400: refusal('Not a JSON object, a field that breaks the rules, events the format cannot carry, or a URL that may not be reached.', 'INVALID'),
          403: NOT_PROJECT_ADMIN,
          404: NO_SUCH_WEBHOOK,
          ...BODY_REFUSALS,
        },
      },
      delete: {
        operationId: 'deleteWebhook',
        summary: 'Remove a webhook, with its delivery log',
        access: 'signed-in',
        parameters: [PROJECT, WEBHOOK_ID],
        responses: { 204: { description: 'Removed.' }, 403: NOT_PROJECT_ADMIN, 404: NO_SUCH_WEBHOOK },
      },
    },
    '/api/v1/projects/{project}/webhooks/{webhook}/deliveries': {
      get: {
        operationId: 'listDeliveries',
        summary: 'A webhook\'s delivery log, newest first',
        description: 'Kept for webhooks.deliveryRetention (default 30 days).',
        access: 'signed-in',
        parameters: [
          PROJECT,
          WEBHOOK_ID,
          parameterRef('PageSize'),
          { name: 'last', in: 'query', description: 'Start after this delivery: the `sequence` of the last one of the previous page, as the Link header gives it.', schema: { type: 'string', pattern: '^\\d{1,15}$' } },
        ],
        responses: {
          200: json('A page of deliveries.', schemaRef('DeliveryList'), { Link: headerRef('Link') }),
          400: refusal('`n` is not a whole number, or `last` not a sequence number.', 'INVALID'),
          403: NOT_PROJECT_ADMIN,
          404: NO_SUCH_WEBHOOK,
        },
      },
    },
    '/api/v1/projects/{project}/webhooks/{webhook}/deliveries/{delivery}': {
      get: {
        operationId: 'getDelivery',
        summary: 'One delivery, with the body sent and the start of the answer',
        access: 'signed-in',
        parameters: [PROJECT, WEBHOOK_ID, DELIVERY_ID],
        responses: { 200: json('The delivery.', schemaRef('DeliveryWithBody')), 403: NOT_PROJECT_ADMIN, 404: NO_SUCH_DELIVERY },
      },
    },
    '/api/v1/projects/{project}/webhooks/{webhook}/deliveries/{delivery}/redeliver': {
      post: {
        operationId: 'redeliver',
        summary: 'Queue the same body again, as a new delivery',
        description: 'No body. The new delivery keeps the event id, so a receiver that deduplicates sees the same event.',
        access: 'signed-in',
        parameters: [PROJECT, WEBHOOK_ID, DELIVERY_ID],
        responses: { 202: json('The new delivery, pending.', schemaRef('Delivery')), 403: NOT_PROJECT_ADMIN, 404: NO_SUCH_DELIVERY },
      },
    },
  },
};
