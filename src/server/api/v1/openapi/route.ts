/**
 * Serves the OpenAPI document at `GET /api/v1/openapi.json`, without
 * credentials: it describes the API, it grants nothing (the routes of
 * `/v2/` are public knowledge too). Built and serialised once, when the
 * server starts: it changes only with the configuration or the version, so
 * caches may keep it five minutes.
 */
import type { FastifyInstance } from 'fastify';
import type { RegistryPlugin } from '../../../app.js';
import { factsOf } from '../../../request-facts.js';
import { openApiDocument } from './document.js';
import { OPENAPI_PATH } from './self.js';
import type { AuthMode } from './types.js';

export { OPENAPI_PATH };

export function openApiPlugin(options: { readonly mode: AuthMode; readonly version: string }): RegistryPlugin {
  const body = JSON.stringify(openApiDocument(options));
  return (app: FastifyInstance) => {
    app.get(OPENAPI_PATH, async (request, reply) => {
      factsOf(request.raw).route = 'api';
      return reply.code(200).header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8').send(body);
    });
  };
}
