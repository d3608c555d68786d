/**
 * Assembles the OpenAPI 3.1 document of `/api/v1/` (and `/token`) from the
 * resources in all.ts, for the server as it is configured: without
 * `--accounts` only the routes that exist then (gc, this document), and
 * security as the server authenticates (Bearer tokens and Basic with
 * accounts, Basic with htpasswd, none at all). What every authenticated
 * operation shares is added here, not repeated in each resource: the
 * security requirement, 401 with the challenge and 429 with Retry-After
 * (and 403 for administrator-only operations when a signed-in caller may be
 * no administrator). A path, operation id or schema name given twice throws:
 * two resources must not silently replace each other.
 */
import { API_RESOURCES } from './all.js';
import { errorSchemas, headers, parameters, responseRef, responses, securityOf, securitySchemes } from './components.js';
import type { ApiResource, AuthMode, Method, Operation, Ref, Response } from './types.js';

export const OPENAPI_VERSION = '3.1.1';
const METHODS: readonly Method[] = ['get', 'put', 'post', 'delete', 'patch'];
/** Responses the assembler adds; an operation that lists one itself is a mistake. */
const ADDED_CODES = ['401', '429'];

export interface DocumentOptions {
  /** info.version: the package's version. */
  readonly version: string;
  readonly mode: AuthMode;
  /** Default: every resource (all.ts). */
  readonly resources?: readonly ApiResource[];
}

export type OpenApiDocument = Record<string, unknown> & { readonly openapi: string; readonly paths: Record<string, Record<string, Record<string, unknown>>> };

export function openApiDocument(options: DocumentOptions): OpenApiDocument {
  const { mode } = options;
  const included = (options.resources ?? API_RESOURCES).filter((r) => r.availability === 'always' || mode === 'accounts');
  const paths: Record<string, Record<string, Record<string, unknown>>> = {};
  const schemas: Record<string, unknown> = errorSchemas();
  const operationIds = new Set<string>();
  for (const resource of included) {
    for (const [name, schema] of Object.entries(resource.schemas ?? {})) {
      if (name in schemas) throw new Error(`OpenAPI: schema ${name} is defined twice`);
      schemas[name] = schema;
    }
    for (const [path, item] of Object.entries(resource.paths)) {
      if (path in paths) throw new Error(`OpenAPI: path ${path} is described twice`);
      const out: Record<string, Record<string, unknown>> = {};
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        if (operationIds.has(operation.operationId)) throw new Error(`OpenAPI: operation id ${operation.operationId} is used twice`);
        operationIds.add(operation.operationId);
        out[method] = operationObject(operation, resource.tag.name, mode);
      }
      paths[path] = out;
    }
  }
  const schemes = securitySchemes(mode);
  const security = securityOf(mode);
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'portcullis registry admin API',
      version: options.version,
      description: DESCRIPTION,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: included.map((r) => r.tag),
    paths,
    components: {
      schemas,
      parameters,
      headers,
      responses,
      ...(Object.keys(schemes).length > 0 ? { securitySchemes: schemes } : {}),
    },
    ...(security.length > 0 ? { security } : {}),
  };
}

function operationObject(operation: Operation, tag: string, mode: AuthMode): Record<string, unknown> {
  const added: Record<string, Response | Ref> = {};
  if (operation.access !== 'public' && mode !== 'none') {
    for (const code of ADDED_CODES) if (code in operation.responses) throw new Error(`OpenAPI: ${operation.operationId} lists ${code}, which the assembler adds`);
    added[401] = responseRef('Unauthorized');
    added[429] = responseRef('TooManyRequests');
    if (operation.access === 'administrator' && mode === 'accounts') added[403] = responseRef('Denied');
  }
  const security = mode === 'none' ? undefined : (operation.security ?? (operation.access === 'public' ? [] : undefined));
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description !== undefined ? { description: operation.description } : {}),
    tags: [tag],
    ...(operation.parameters ? { parameters: operation.parameters } : {}),
    ...(operation.requestBody ? { requestBody: operation.requestBody } : {}),
    responses: { ...operation.responses, ...added },
    ...(security !== undefined ? { security } : {}),
  };
}

const DESCRIPTION = `The admin API of \`portcullis serve\` (what \`portcullis registry …\` uses), and the token service of the Docker token flow.

- **Which routes**: with \`--accounts\`, users, projects, members, robots, webhooks, the audit log and /token; in every mode, /api/v1/gc and this document. This document describes the server that serves it.
- **Authentication**: every operation but this document and /token needs a caller who signed in: a Bearer token from /token or Basic credentials (with --accounts), Basic credentials of an --htpasswd user (with --htpasswd). No credentials, or wrong ones, is 401 with the challenge; too many failed logins 429 with Retry-After.
- **Errors** are \`{"errors":[{"code","message"}]}\` (the registry API's shape). Something the caller may not even see (a project they have no role in) is 404 exactly as when it does not exist; something they can see but may not change is 403 DENIED.
- **Bodies** are JSON objects of at most 64 KiB; fields not described are ignored. A body is read (and refused when malformed, too large or not JSON) before the caller is authenticated.
- **Lists** page with \`n\` and \`last\`, and a \`Link: <…>; rel="next"\` header while there is more.
- Every GET also answers HEAD, with the same status and headers and no body.
- Answers carry \`Cache-Control: no-store\` (except refusals of a body, decided before the handler runs, and this document, which may be cached five minutes).`;
