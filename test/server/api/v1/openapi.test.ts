/**
 * The OpenAPI document of /api/v1/ (src/server/api/v1/openapi/):
 * - it is a valid OpenAPI 3.1 document by the official schema, and every
 *   schema in it is valid JSON Schema 2020-12 (Ajv, strict);
 * - in each authentication mode, every route the server registers under
 *   /api/v1 (and /token) is documented and every documented operation is a
 *   route: a new route without its entry in openapi/all.ts fails here;
 * - it is served without credentials, as JSON, cacheable, with the
 *   package's version.
 *
 * The validator is @seriousme/openapi-schema-validator: it ships the
 * official OpenAPI 3.1 JSON Schema (spec.openapis.org/oas/3.1/schema, with
 * `$dynamicRef` made plain `$ref` for Ajv), runs on Node 20 (the other
 * maintained choice, @apidevtools/swagger-parser, now needs Node 22), and
 * adds only Ajv and yaml, which we already have. That schema checks the
 * document's structure but not the Schema Objects in it ("without Schema
 * Object validation"), hence the Ajv 2020-12 compilation of each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { openApiDocument } from '../../../../src/server/api/v1/openapi/document.js';
import { API_RESOURCES } from '../../../../src/server/api/v1/openapi/all.js';
import type { AuthMode } from '../../../../src/server/api/v1/openapi/types.js';
import { adminRegistry, packageJsonVersion, type AdminRegistry } from './admin-registry.js';
import { DocumentChecker } from './openapi-check.js';

const MODES: readonly AuthMode[] = ['accounts', 'htpasswd', 'none'];
const registries = new Map<AuthMode, AdminRegistry>();

before(async () => {
  for (const mode of MODES) registries.set(mode, await adminRegistry(mode));
});
after(async () => {
  for (const r of registries.values()) await r.close();
});

function registry(mode: AuthMode): AdminRegistry {
  return registries.get(mode)!;
}

/** `METHOD /path/{param}` of the routes under /api/v1 and /token; HEAD left out (Fastify adds one for each GET). */
function apiRoutes(r: AdminRegistry): string[] {
  const out = new Set<string>();
  for (const route of r.routes) {
    const [method, url] = route.split(' ') as [string, string];
    if (!(url === '/token' || url.startsWith('/api/v1/') || url === '/api/v1')) continue;
    if (method === 'HEAD') {
      assert.ok(r.routes.includes(`GET ${url}`), `${route}: a HEAD route without its GET`);
      continue;
    }
    out.add(`${method} ${url.replace(/:(\w+)/g, '{$1}')}`);
  }
  return [...out].sort();
}

function documentedOperations(doc: AdminRegistry['doc']): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) for (const method of Object.keys(item)) out.push(`${method.toUpperCase()} ${path}`);
  return out.sort();
}

describe('the OpenAPI document', () => {
  for (const mode of MODES) {
    test(`${mode}: valid by the official OpenAPI 3.1 schema, and every schema in it compiles as JSON Schema 2020-12 (strict)`, async () => {
      const { doc } = registry(mode);
      const validator = new Validator();
      const result = await validator.validate(doc);
      assert.deepEqual(result.errors, undefined, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));
      assert.equal(result.valid, true);
      assert.equal(validator.version, '3.1');
      // The validator is no rubber stamp: a response without its required description is refused.
      const broken = structuredClone(doc);
      delete (broken.paths['/api/v1/gc']!.get as { responses: Record<string, { description?: string }> }).responses['200']!.description;
      assert.equal((await new Validator().validate(broken)).valid, false);
      const checker = new DocumentChecker(doc);
      const pointers = checker.schemaPointers();
      assert.ok(pointers.length > (mode === 'accounts' ? 100 : 20), `${pointers.length} schemas`);
      for (const pointer of pointers) assert.doesNotThrow(() => checker.validator(pointer), pointer);
    });

    test(`${mode}: the routes under /api/v1 and /token are exactly the documented operations`, () => {
      const r = registry(mode);
      const routes = apiRoutes(r);
      const documented = documentedOperations(r.doc);
      assert.deepEqual(
        routes.filter((x) => !documented.includes(x)),
        [],
        'routes the document does not describe: add them to src/server/api/v1/openapi/ (a resource file and its line in all.ts)',
      );
      assert.deepEqual(documented.filter((x) => !routes.includes(x)), [], 'documented operations with no route');
    });
  }

  test('which routes each mode has: the accounts API and /token only with --accounts; security as the server authenticates', () => {
    const accounts = registry('accounts').doc;
    assert.equal(documentedOperations(accounts).length, 33);
    assert.ok(accounts.paths['/api/v1/projects/{project}/settings']?.get && accounts.paths['/api/v1/projects/{project}/settings'].put);
    assert.ok(accounts.paths['/api/v1/audit'] && accounts.paths['/api/v1/projects/{project}/webhooks/{webhook}/deliveries/{delivery}/redeliver']);
    assert.ok(accounts.paths['/token'] && accounts.paths['/api/v1/users/{user}/password']);
    assert.deepEqual(accounts.security, [{ bearer: [] }, { basic: [] }]);
    for (const mode of ['htpasswd', 'none'] as const) {
      assert.deepEqual(documentedOperations(registry(mode).doc), ['GET /api/v1/gc', 'GET /api/v1/openapi.json', 'POST /api/v1/gc']);
    }
    assert.deepEqual(registry('htpasswd').doc.security, [{ basic: [] }]);
    assert.equal(registry('none').doc.security, undefined);
    const gcPost = (mode: AuthMode) => Object.keys((registry(mode).doc.paths['/api/v1/gc']!.post as { responses: object }).responses);
    assert.deepEqual(gcPost('accounts'), ['200', '400', '401', '403', '429', '500', '503'], 'with accounts a signed-in caller may be no administrator');
    assert.deepEqual(gcPost('htpasswd'), ['200', '400', '401', '429', '500', '503'], 'every htpasswd user is an administrator');
    assert.deepEqual(gcPost('none'), ['200', '400', '500', '503'], 'without authentication nobody is refused');
    assert.deepEqual((accounts.paths['/api/v1/openapi.json']!.get as { security: unknown }).security, [], 'the document needs no credentials');
  });

  test('served without credentials, as JSON, cacheable, with the version of package.json', async () => {
    for (const mode of MODES) {
      const res = await registry(mode).app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'public, max-age=300');
      const doc = JSON.parse(res.body) as { openapi: string; info: { version: string } };
      assert.equal(doc.openapi, '3.1.1');
      assert.equal(doc.info.version, await packageJsonVersion());
      assert.deepEqual(doc, openApiDocument({ mode, version: await packageJsonVersion() }), 'the same document the assembler builds');
    }
    const head = await registry('accounts').app.inject({ method: 'HEAD', url: '/api/v1/openapi.json' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
  });

  test('a resource that repeats a path, an operation id or a schema name is refused when the document is built', () => {
    const [users] = API_RESOURCES;
    assert.throws(() => openApiDocument({ mode: 'accounts', version: '1', resources: [users!, users!] }), /schema User is defined twice/);
    const sameId = { ...users!, schemas: {}, paths: { '/api/v1/other': { get: users!.paths['/api/v1/users']!.get! } } };
    assert.throws(() => openApiDocument({ mode: 'accounts', version: '1', resources: [users!, sameId] }), /operation id listUsers is used twice/);
    const samePath = { ...users!, schemas: {}, paths: { '/api/v1/users': {} } };
    assert.throws(() => openApiDocument({ mode: 'accounts', version: '1', resources: [users!, samePath] }), /path \/api\/v1\/users is described twice/);
    const lists401 = { ...users!, schemas: {}, paths: { '/api/v1/x': { get: { ...users!.paths['/api/v1/users']!.get!, operationId: 'x', responses: { 401: { description: 'no' } } } } } };
    assert.throws(() => openApiDocument({ mode: 'accounts', version: '1', resources: [users!, lists401] }), /x lists 401, which the assembler adds/);
  });
});
