/** `/api/v1/openapi.json` in the OpenAPI document: the document itself, without credentials (route.ts). */
import { json } from './components.js';
import type { ApiResource, JsonSchema } from './types.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';

/** The outline of an OpenAPI 3.1 document (the official schema is the full check). */
const DOCUMENT_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.' },
    info: { type: 'object', required: ['title', 'version'], properties: { title: { type: 'string' }, version: { type: 'string', description: 'portcullis\'s version.' } } },
    paths: { type: 'object' },
  },
};

export const selfApi: ApiResource = {
  tag: { name: 'openapi', description: 'This document.' },
  availability: 'always',
  paths: {
    [OPENAPI_PATH]: {
      get: {
        operationId: 'getOpenApiDocument',
        summary: 'This OpenAPI 3.1 document',
        description: 'Describes the routes this server has, as configured (without --accounts, only /api/v1/gc and this). Needs no credentials: it grants nothing.',
        access: 'public',
        security: [],
        responses: {
          200: json('The document.', DOCUMENT_SCHEMA, {
            'Cache-Control': { description: '`public, max-age=300`: it changes only with the configuration or the version.', schema: { type: 'string' } },
          }),
        },
      },
    },
  },
};
