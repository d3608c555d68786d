/**
 * Checks real answers against the OpenAPI document of /api/v1/: the
 * operation for the method and path, the response for the status (an
 * undocumented status fails), the body against the response's schema with
 * Ajv's JSON Schema 2020-12 validator (strict, formats checked), the media
 * type, the required headers, and the Link header's shape. It remembers
 * which responses it saw, so a test can require every documented one to
 * have been produced by a real request.
 *
 * The schemas are compiled from the document itself: it is added to Ajv
 * whole, under an id of its own, and each schema is compiled as a `$ref` to
 * its JSON pointer, so the document's `#/components/schemas/…` references
 * resolve as any OpenAPI tool resolves them.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { OpenApiDocument } from '../../../../src/server/api/v1/openapi/document.js';

const require = createRequire(import.meta.url);
const addFormats = (require('ajv-formats') as { default: (ajv: Ajv2020) => Ajv2020 }).default;

const DOCUMENT_ID = 'urn:portcullis:openapi';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
/** The OpenAPI object's own fields: not JSON Schema keywords, declared so that Ajv's strict mode accepts the document as a container of schemas. */
const OPENAPI_FIELDS = ['openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks', 'components', 'security', 'tags', 'externalDocs'];

type Json = Record<string, unknown>;

export class DocumentChecker {
  readonly #doc: OpenApiDocument;
  readonly #ajv: Ajv2020;
  readonly #compiled = new Map<string, ValidateFunction>();
  readonly #templates: Array<{ template: string; pattern: RegExp }>;
  /** `METHOD template status` of every answer checked. */
  readonly seen = new Set<string>();

  constructor(doc: OpenApiDocument) {
    this.#doc = doc;
    this.#ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
    addFormats(this.#ajv);
    for (const field of OPENAPI_FIELDS) this.#ajv.addKeyword(field);
    this.#ajv.addSchema({ ...doc, $id: DOCUMENT_ID });
    this.#templates = Object.keys(doc.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.$+]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  /** The validator of the schema at this JSON pointer of the document (compiled once). */
  validator(pointer: string): ValidateFunction {
    let validate = this.#compiled.get(pointer);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer}` });
      this.#compiled.set(pointer, validate);
    }
    return validate;
  }

  /** The path template a request path falls under. */
  template(path: string): string {
    const found = this.#templates.filter((t) => t.pattern.test(path));
    assert.equal(found.length, 1, `${path}: ${found.length} documented paths match`);
    return found[0]!.template;
  }

  /** The documented operations (of these tags), with their path template and method. */
  operations(tags?: readonly string[]): Array<{ method: string; template: string; operation: Json & { responses: Json; tags: string[] } }> {
    const out: Array<{ method: string; template: string; operation: Json & { responses: Json; tags: string[] } }> = [];
    for (const [template, item] of Object.entries(this.#doc.paths)) {
      for (const method of METHODS) {
        const operation = item[method] as (Json & { responses: Json; tags: string[] }) | undefined;
        if (operation && (!tags || operation.tags.some((t) => tags.includes(t)))) out.push({ method: method.toUpperCase(), template, operation });
      }
    }
    return out;
  }

  /** Every documented response (of operations with these tags), as `METHOD template status`. */
  documented(tags?: readonly string[]): string[] {
    return this.operations(tags).flatMap(({ method, template, operation }) => Object.keys(operation.responses).map((status) => `${method} ${template} ${status}`));
  }

  /** Every schema in the document (components, parameters, headers, bodies, responses), as JSON pointers. */
  schemaPointers(): string[] {
    const components = (this.#doc.components ?? {}) as Record<string, Record<string, Json>>;
    const out = Object.keys(components.schemas ?? {}).map((name) => `/components/schemas/${pointerPart(name)}`);
    for (const kind of ['parameters', 'headers'] as const) for (const name of Object.keys(components[kind] ?? {})) out.push(`/components/${kind}/${pointerPart(name)}/schema`);
    for (const [name, response] of Object.entries(components.responses ?? {})) contentSchemas(out, `/components/responses/${pointerPart(name)}`, response);
    for (const [template, item] of Object.entries(this.#doc.paths)) {
      for (const method of METHODS) {
        const operation = item[method] as Json | undefined;
        if (!operation) continue;
        const base = `/paths/${pointerPart(template)}/${method}`;
        ((operation.parameters ?? []) as Json[]).forEach((p, i) => {
          if (!('$ref' in p)) out.push(`${base}/parameters/${i}/schema`);
        });
        if (operation.requestBody) contentSchemas(out, `${base}/requestBody`, operation.requestBody as Json);
        for (const [status, response] of Object.entries(operation.responses as Json)) contentSchemas(out, `${base}/responses/${status}`, response as Json);
      }
    }
    return out;
  }

  /** Checks an answer against the document; `path` without the query. */
  response(method: string, path: string, res: LightMyRequestResponse): void {
    const template = this.template(path);
    const operation = this.#doc.paths[template]![method.toLowerCase()] as { responses: Json; operationId: string } | undefined;
    assert.ok(operation, `${method} ${template} is not documented`);
    const status = String(res.statusCode);
    const where = `${method} ${path} → ${status} ${res.body.slice(0, 300)}`;
    let response = operation.responses[status] as Json | undefined;
    assert.ok(response, `${where}: status not documented for ${operation.operationId}`);
    let pointer = `/paths/${pointerPart(template)}/${method.toLowerCase()}/responses/${status}`;
    if (typeof response.$ref === 'string') {
      pointer = response.$ref.slice(1);
      response = this.#resolve(response.$ref);
    }
    const content = response.content as Record<string, unknown> | undefined;
    if (content) {
      const [mediaType] = Object.keys(content);
      assert.ok(String(res.headers['content-type']).startsWith(mediaType!), `${where}: content-type ${res.headers['content-type']}, documented ${mediaType}`);
      const validate = this.validator(`${pointer}/content/${pointerPart(mediaType!)}/schema`);
      assert.ok(validate(JSON.parse(res.body)), `${where}: body does not match the schema: ${describe(validate.errors)}`);
    } else {
      assert.equal(res.body, '', `${where}: documented without a body`);
    }
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
      const resolved = typeof header.$ref === 'string' ? this.#resolve(header.$ref) : header;
      const value = res.headers[name.toLowerCase()];
      if (resolved.required === true) assert.ok(value !== undefined, `${where}: header ${name} missing`);
      // Lists page by name (`n`, `last`); the audit log by cursor, after the filters it repeats.
      if (name === 'Link' && value !== undefined) assert.match(String(value), new RegExp(`^<${path.replace(/[$+.]/g, '\\$&')}\\?(?:[a-z]+=[^&>]*&)*n=\\d+&(?:last|cursor)=[^>]+>; rel="next"$`), `${where}: Link`);
    }
    this.seen.add(`${method} ${template} ${status}`);
  }

  /** Whether a request body matches the documented request schema; undefined when the operation documents no body of that type. */
  requestMatches(method: string, path: string, mediaType: string, body: unknown): boolean | undefined {
    const template = this.template(path);
    const operation = this.#doc.paths[template]![method.toLowerCase()] as { requestBody?: { content: Json } } | undefined;
    if (!operation?.requestBody?.content[mediaType]) return undefined;
    return this.validator(`/paths/${pointerPart(template)}/${method.toLowerCase()}/requestBody/content/${pointerPart(mediaType)}/schema`)(body);
  }

  #resolve(ref: string): Json {
    let node: unknown = this.#doc;
    for (const part of ref.slice(2).split('/')) node = (node as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    assert.ok(node && typeof node === 'object', `${ref} does not resolve`);
    return node as Json;
  }
}

/** Adds the pointers of the schemas of a body or response (none for a `$ref`: its target is listed where it is defined). */
function contentSchemas(out: string[], base: string, holder: Json): void {
  if ('$ref' in holder) return;
  for (const type of Object.keys((holder.content ?? {}) as Json)) out.push(`${base}/content/${pointerPart(type)}/schema`);
}

function pointerPart(part: string): string {
  return part.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('; ');
}

export interface Call {
  readonly auth?: string;
  /** A JSON body (sent as application/json), or raw bytes with `headers`' content-type. */
  readonly body?: unknown;
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

/**
 * `call(status, method, url, options)`: sends the request, asserts the status, checks the answer against the
 * document, and for a JSON body, that the documented request schema accepts it when the answer is a success
 * and refuses it when the answer is 400 (so the request schemas say what the handlers accept).
 */
export function checkedCalls(app: FastifyInstance, checker: DocumentChecker) {
  return async function call(status: number, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, options: Call = {}): Promise<LightMyRequestResponse> {
    const json = options.body !== undefined;
    const res = await app.inject({
      method,
      url,
      headers: { ...(options.auth ? { authorization: options.auth } : {}), ...(json ? { 'content-type': 'application/json' } : {}), ...options.headers },
      ...(json ? { payload: JSON.stringify(options.body) } : options.raw !== undefined ? { payload: options.raw } : {}),
    });
    const path = url.split('?')[0]!;
    assert.equal(res.statusCode, status, `${method} ${url}: ${res.body.slice(0, 300)}`);
    checker.response(method, path, res);
    if (status < 300 && path !== '/api/v1/openapi.json') assert.equal(res.headers['cache-control'], 'no-store', `${method} ${url}: cache-control`);
    const matches = json ? checker.requestMatches(method, path, 'application/json', options.body) : undefined;
    if (matches !== undefined && (status < 300 || status === 400)) {
      assert.equal(matches, status < 300, `${method} ${url}: the request schema ${status < 300 ? 'refuses a body the handler took' : 'accepts a body the handler refused'}`);
    }
    return res;
  };
}
