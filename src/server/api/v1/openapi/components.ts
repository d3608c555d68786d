/**
 * What every resource of the `/api/v1/` document shares, as the handlers
 * share it (context.ts, plugin.ts): the error body `{"errors":[{"code",
 * "message"}]}` (one schema per code, so that a response says which code it
 * carries), paging (`n`, `last`, the `Link` header), the headers of
 * refusals, the refusals of JSON bodies, and the security schemes.
 */
import type { ApiErrorCode } from '../context.js';
import type { AuthMode, Header, JsonSchema, Parameter, Ref, Response } from './types.js';

/** The codes the API answers with: the handlers' (context.ts) and the two only gc answers. */
export type ErrorCode = ApiErrorCode | 'INTERNAL' | 'UNAVAILABLE';

const ERROR_SCHEMA_NAMES: Readonly<Record<ErrorCode, string>> = {
  INVALID: 'InvalidError',
  UNAUTHORIZED: 'UnauthorizedError',
  DENIED: 'DeniedError',
  NOT_FOUND: 'NotFoundError',
  CONFLICT: 'ConflictError',
  TOOMANYREQUESTS: 'TooManyRequestsError',
  UNSUPPORTED: 'UnsupportedError',
  INTERNAL: 'InternalError',
  UNAVAILABLE: 'UnavailableError',
};

export const JSON_TYPE = 'application/json';

export function schemaRef(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

/** The error body: one error, with its code and a one-line message; `detail` (null) only from /api/v1/gc and GET /token, as on /v2. */
function errorsSchema(code?: ErrorCode): JsonSchema {
  return {
    type: 'object',
    required: ['errors'],
    additionalProperties: false,
    properties: {
      errors: {
        type: 'array',
        minItems: 1,
        maxItems: 1,
        items: {
          type: 'object',
          required: ['code', 'message'],
          additionalProperties: false,
          properties: {
            code: code !== undefined ? { const: code } : { enum: Object.keys(ERROR_SCHEMA_NAMES) },
            message: { type: 'string', description: 'One line, for people.' },
            detail: { type: 'null', description: 'Sent (as null) by /api/v1/gc and GET /token, as /v2 errors carry it; the other operations leave it out.' },
          },
        },
      },
    },
  };
}

export function errorSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = { Errors: errorsSchema() };
  for (const [code, name] of Object.entries(ERROR_SCHEMA_NAMES)) out[name] = errorsSchema(code as ErrorCode);
  return out;
}

/** A refusal with this code: `description` says when (the one place an operation explains its errors). */
export function refusal(description: string, code: ErrorCode, headers?: Readonly<Record<string, Header | Ref>>): Response {
  return { description, ...(headers ? { headers } : {}), content: { [JSON_TYPE]: { schema: schemaRef(ERROR_SCHEMA_NAMES[code]) } } };
}

export function json(description: string, schema: JsonSchema, headers?: Readonly<Record<string, Header | Ref>>): Response {
  return { description, ...(headers ? { headers } : {}), content: { [JSON_TYPE]: { schema } } };
}

export function headerRef(name: 'Link' | 'Location' | 'RetryAfter' | 'WwwAuthenticate'): Ref {
  return { $ref: `#/components/headers/${name}` };
}

export const headers: Readonly<Record<string, Header>> = {
  Link: {
    description: 'When there is a next page: `</api/v1/…?n=N&last=NAME>; rel="next"` (the catalog\'s paging). No header on the last page.',
    schema: { type: 'string' },
  },
  Location: { description: 'The path of what was created.', required: true, schema: { type: 'string' } },
  RetryAfter: { description: 'Seconds to wait before trying again.', required: true, schema: { type: 'integer', minimum: 0 } },
  WwwAuthenticate: {
    description:
      'The challenge: with --accounts `Bearer realm="<public URL>/token",service="<public name>"` (plus `error="invalid_token"` when the token sent was refused); with --htpasswd `Basic realm="…"`.',
    required: true,
    schema: { type: 'string' },
  },
};

export const parameters: Readonly<Record<string, Parameter>> = {
  PageSize: {
    name: 'n',
    in: 'query',
    description: 'At most this many items (default 100). Digits only (else 400 INVALID); 0 counts as 1, more than 1000 as 1000.',
    schema: { type: 'integer', minimum: 0, maximum: 999999 },
  },
  PageLast: {
    name: 'last',
    in: 'query',
    description: 'Start after this name (the last one of the previous page, as the Link header gives it).',
    schema: { type: 'string' },
  },
};

export function parameterRef(name: 'PageSize' | 'PageLast'): Ref {
  return { $ref: `#/components/parameters/${name}` };
}

export const PAGING: readonly Ref[] = [parameterRef('PageSize'), parameterRef('PageLast')];

export function pathParameter(name: string, description: string, schema: JsonSchema = { type: 'string' }): Parameter {
  return { name, in: 'path', required: true, description, schema };
}

export function responseRef(name: 'Unauthorized' | 'TooManyRequests' | 'Denied' | 'PayloadTooLarge' | 'UnsupportedMediaType' | 'InvalidPage'): Ref {
  return { $ref: `#/components/responses/${name}` };
}

export const responses: Readonly<Record<string, Response>> = {
  Unauthorized: refusal('No credentials, wrong ones, or a token that is invalid or expired.', 'UNAUTHORIZED', { 'WWW-Authenticate': headerRef('WwwAuthenticate') }),
  TooManyRequests: refusal('Too many failed logins for this user or from this address: refused before any password is checked.', 'TOOMANYREQUESTS', { 'Retry-After': headerRef('RetryAfter') }),
  Denied: refusal('Signed in, but no registry administrator.', 'DENIED'),
  InvalidPage: refusal('`n` is not a whole number.', 'INVALID'),
  // Fastify's own refusals of a body, mapped by the API's error handler (plugin.ts); decided before authentication.
  PayloadTooLarge: refusal('The body is over 64 KiB (decided before authentication; the code is UNSUPPORTED).', 'UNSUPPORTED'),
  UnsupportedMediaType: refusal('A body that is not `application/json` (decided before authentication).', 'INVALID'),
};

/** What every operation with a JSON body may also answer: the body is malformed JSON (400), too large (413) or not JSON (415). */
export const BODY_REFUSALS: Readonly<Record<string, Response | Ref>> = {
  413: responseRef('PayloadTooLarge'),
  415: responseRef('UnsupportedMediaType'),
};

export function securitySchemes(mode: AuthMode): Record<string, Record<string, string>> {
  if (mode === 'none') return {};
  const basic = {
    type: 'http',
    scheme: 'basic',
    description:
      mode === 'accounts'
        ? 'A user\'s name and password (accounts, or --htpasswd users), or a robot\'s name (`robot$PROJECT+NAME`) and secret; checked on every request.'
        : 'A user of the --htpasswd file (every one is an administrator).',
  };
  if (mode === 'htpasswd') return { basic };
  return {
    bearer: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'An access token from /token (ES256 JWT) issued for scope registry:admin:* (GET /token?scope=registry:admin:*; only user accounts get it, never robots). On /api/v1 it stands for its subject with that account\'s permissions now; a token without that scope (a pull or push token a client holds) is 401 insufficient_scope, an anonymous token 401.',
    },
    basic,
  };
}

/** Who an authenticated operation accepts, in the order clients should prefer. */
export function securityOf(mode: AuthMode): Array<Record<string, string[]>> {
  if (mode === 'none') return [];
  if (mode === 'htpasswd') return [{ basic: [] }];
  return [{ bearer: [] }, { basic: [] }];
}

export const TIMESTAMP: JsonSchema = { type: 'string', format: 'date-time' };
