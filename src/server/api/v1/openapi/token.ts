/**
 * `/token` in the OpenAPI document, as auth/token-endpoint.ts answers it:
 * Docker's token protocol (https://distribution.github.io/distribution/spec/auth/token/)
 * and its OAuth2 form (…/spec/auth/oauth/). Not under /api/v1, but the same
 * accounts, so described here for clients that sign in.
 */
import { TIMESTAMP, headerRef, json, refusal, responseRef, schemaRef } from './components.js';
import type { ApiResource, JsonSchema, Response } from './types.js';

const FORM_TYPE = 'application/x-www-form-urlencoded';
const TOKEN = { type: 'string', description: 'An ES256 JWT with the spec\'s `access` claim: what was asked for and may be done now.' } as const;
const EXPIRES_IN = { type: 'integer', minimum: 1, description: 'Seconds the access token lasts (--token-lifetime, default 300).' } as const;
const REFRESH = { type: 'string', description: 'A refresh token (30 days).' } as const;

/** Fastify's own error body: what /token answers to a form over 16 KiB or a body of a type it cannot read. */
const FASTIFY_ERROR: JsonSchema = {
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message'],
  additionalProperties: false,
  properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, error: { type: 'string' }, message: { type: 'string' } },
};

function oauthError(description: string, errors: readonly string[], headers?: Response['headers']): Response {
  return json(description, { ...schemaRef('OAuthError'), type: 'object', properties: { error: { enum: errors } } }, headers);
}

export const tokenApi: ApiResource = {
  tag: {
    name: 'token',
    description:
      'The token service of the Docker token flow. A token grants the intersection of the scopes asked for and what the caller may do now; asking for more is not an error. `service`, when given, must be this registry\'s public name.',
  },
  availability: 'accounts',
  schemas: {
    Token: {
      type: 'object',
      additionalProperties: false,
      required: ['token', 'access_token', 'expires_in', 'issued_at'],
      properties: { token: TOKEN, access_token: { ...TOKEN, description: 'The same token, under its OAuth2 name.' }, expires_in: EXPIRES_IN, issued_at: TIMESTAMP, refresh_token: REFRESH },
    },
    OAuthToken: {
      type: 'object',
      additionalProperties: false,
      required: ['access_token', 'expires_in', 'issued_at', 'token_type', 'scope'],
      properties: {
        access_token: TOKEN,
        expires_in: EXPIRES_IN,
        issued_at: TIMESTAMP,
        token_type: { const: 'Bearer' },
        scope: { type: 'string', description: 'What was granted, space-separated (`repository:NAME:pull,push`); empty when nothing.' },
        refresh_token: { ...REFRESH, description: 'With access_type=offline (a new one), or the one the refresh_token grant sent.' },
      },
    },
    OAuthError: {
      type: 'object',
      additionalProperties: false,
      required: ['error', 'error_description'],
      properties: { error: { type: 'string' }, error_description: { type: 'string' } },
    },
    TokenForm: {
      type: 'object',
      required: ['grant_type'],
      properties: {
        grant_type: { enum: ['password', 'refresh_token'] },
        username: { type: 'string', description: 'password grant: a user, or `robot$PROJECT+NAME`.' },
        password: { type: 'string', description: 'password grant: the password or robot secret.' },
        refresh_token: { type: 'string', description: 'refresh_token grant.' },
        service: { type: 'string' },
        scope: { type: 'string', description: 'Scopes, space-separated (at most 32 are read); the field may also be repeated.' },
        access_type: { type: 'string', description: '`offline` (password grant): also issue a refresh token.' },
        client_id: { type: 'string', description: 'Accepted and ignored.' },
      },
    },
    FastifyError: FASTIFY_ERROR,
  },
  paths: {
    '/token': {
      get: {
        operationId: 'getToken',
        summary: 'A token, for Basic credentials or none (anonymous)',
        description:
          'Only Basic credentials are traded; another Authorization header (a Bearer token) is ignored and the caller is anonymous. `account` and `client_id`, which clients send, are ignored.',
        access: 'public',
        security: [{}, { basic: [] }],
        parameters: [
          { name: 'service', in: 'query', description: 'This registry\'s public name (the `service` of its challenge).', schema: { type: 'string' } },
          {
            name: 'scope',
            in: 'query',
            description: 'What is asked for, `repository:NAME:pull,push`, `repository:NAME:*` or `registry:catalog:*`; repeatable, each may hold several space-separated. Unknown or malformed ones are dropped; at most 32 are read.',
            style: 'form',
            explode: true,
            schema: { type: 'array', items: { type: 'string' } },
          },
          { name: 'offline_token', in: 'query', description: '`true`, with credentials: also issue a refresh token.', schema: { type: 'string' } },
        ],
        responses: {
          200: json('The token.', schemaRef('Token')),
          400: refusal('`service` names another registry (the code is DENIED).', 'DENIED'),
          401: refusal('Wrong Basic credentials.', 'UNAUTHORIZED', { 'WWW-Authenticate': headerRef('WwwAuthenticate') }),
          429: responseRef('TooManyRequests'),
        },
      },
      post: {
        operationId: 'postToken',
        summary: 'A token, by the OAuth2 password or refresh_token grant (the form containerd uses)',
        access: 'public',
        security: [],
        requestBody: { required: true, content: { [FORM_TYPE]: { schema: schemaRef('TokenForm') } } },
        responses: {
          200: json('The token.', schemaRef('OAuthToken')),
          400: oauthError(
            'invalid_request: not a form, or `service` names another registry; invalid_grant: wrong username or password, or a refresh token that is invalid, expired or revoked; unsupported_grant_type: another grant_type.',
            ['invalid_request', 'invalid_grant', 'unsupported_grant_type'],
          ),
          413: json('The form is over 16 KiB (Fastify\'s error body).', schemaRef('FastifyError')),
          415: json('A body of a type Fastify has no parser for (Fastify\'s error body).', schemaRef('FastifyError')),
          429: oauthError('Too many failed logins: slow_down, refused before the password is checked.', ['slow_down'], { 'Retry-After': headerRef('RetryAfter') }),
        },
      },
    },
  },
};
