/**
 * The web UI of `portcullis serve` as a Fastify plugin: server-rendered HTML
 * read from the metadata store only, so it runs on any Fastify instance
 * (`buildApp(services, { plugins: [uiPlugin({ metadata })] })`, or a bare
 * `Fastify()` in tests).
 *
 *   /ui/                      repositories          pages/repositories.ts
 *   /ui/r/<repo>              tags                  pages/tags.ts
 *   /ui/r/<repo>/m/<digest>   one image or index    pages/image.ts (?severity=HIGH filters)
 *   /ui/static/<file>         stylesheet and icon   static.ts
 *
 * No JavaScript at all, so every UI answer carries a Content-Security-Policy
 * that allows none (`default-src 'none'`), styles and images from this origin
 * only, no form posts, no <base>, no framing; plus nosniff and no-referrer.
 * The headers are set per answer, not by a global hook, so the registry API
 * under /v2/ is untouched.
 *
 * With an `auth` collaborator the UI asks it exactly what the API would ask
 * for a pull: a repository page needs pull access to that repository and the
 * list shows only pullable repositories. Browsers can answer a Basic
 * challenge, not a token-service (Bearer) one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logAuthFailure } from '../auth/failure-log.js';
import type { MetadataStore } from '../metadata/store.js';
import type { Authenticator } from '../services.js';
import { document, h } from './html.js';
import { imagePage } from './pages/image.js';
import { repositoriesPage } from './pages/repositories.js';
import { tagsPage } from './pages/tags.js';
import { parseUiPath, UI_ROOT } from './paths.js';
import { parseSeverityFilter } from './severity.js';
import { STATIC_ASSETS } from './static.js';

export interface UiDependencies {
  readonly metadata: MetadataStore;
  /** When set, pages need the pull access the registry API would need. */
  readonly auth?: Authenticator;
}

export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

function sendPage(reply: FastifyReply, status: number, html: string): void {
  secure(reply).code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

function problem(reply: FastifyReply, status: number, title: string, text: string): void {
  sendPage(reply, status, document(title, [{ label: 'Repositories', href: UI_ROOT }], `<h1>${h(title)}</h1>\n<p id="problem">${h(text)}</p>`));
}

/**
 * A page sends its answer and returns nothing: a FastifyReply is thenable, so
 * returning one from an async function and awaiting it would wait for the
 * response to finish and yield undefined, not the reply.
 */
type Page = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Store failures become a plain 500 page; the detail goes to the log, not to the browser. */
function guarded(page: Page): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (request, reply) => {
    try {
      await page(request, reply);
    } catch (error) {
      request.log.error({ err: error }, 'ui page failed');
      if (!reply.sent) problem(reply, 500, 'Internal error', 'The page could not be built; the registry log has the details.');
    }
    return reply;
  };
}

export function uiPlugin(deps: UiDependencies): (app: FastifyInstance) => Promise<void> {
  const { metadata, auth } = deps;

  /** False when the caller may pull `repository` (or the catalog, when undefined); else true, the refusal sent. */
  async function denied(request: FastifyRequest, reply: FastifyReply, repository?: string): Promise<boolean> {
    if (!auth) return false;
    const result = await auth.authorize(request, 'pull', repository);
    if (result.ok) return false;
    logAuthFailure(request, result, 'pull', repository);
    if (result.reason === 'rate-limited') {
      reply.header('retry-after', String(result.retryAfterSeconds ?? 60));
      problem(reply, 429, 'Too many failed sign-ins', 'Wait a few minutes before trying again.');
    } else if (result.denied) {
      problem(reply, 403, 'Access denied', 'You may not pull from this repository.');
    } else {
      reply.header('www-authenticate', result.challenge);
      problem(reply, 401, 'Authentication required', 'Sign in to see this page.');
    }
    return true;
  }

  const repositories: Page = async (request, reply) => {
    if (await denied(request, reply)) return;
    const visible = async (name: string): Promise<boolean> => !auth || (await auth.authorize(request, 'pull', name)).ok;
    sendPage(reply, 200, await repositoriesPage(metadata, visible));
  };

  const repositoryOrImage: Page = async (request, reply) => {
    const rest = (request.params as { '*'?: string })['*'] ?? '';
    const path = parseUiPath(rest);
    if (path.kind === 'invalid') return problem(reply, 404, 'Not found', 'There is no such page.');
    if (await denied(request, reply, path.name)) return;
    if (path.kind === 'repository') {
      const html = await tagsPage(metadata, path.name);
      return html ? sendPage(reply, 200, html) : problem(reply, 404, 'Repository not found', `There is no repository named "${path.name}".`);
    }
    const filter = parseSeverityFilter((request.query as { severity?: unknown } | undefined)?.severity);
    if (!filter.ok) return problem(reply, 400, 'Bad severity filter', `"${filter.value}" is not a severity: use CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE or UNKNOWN.`);
    const html = await imagePage(metadata, path.name, path.digest, filter.threshold);
    return html ? sendPage(reply, 200, html) : problem(reply, 404, 'Image not found', `Repository "${path.name}" holds no manifest ${path.digest}.`);
  };

  const asset: Page = async (request, reply) => {
    const name = (request.params as { file?: string }).file ?? '';
    const found = STATIC_ASSETS.get(name);
    if (!found) return problem(reply, 404, 'Not found', 'There is no such file.');
    secure(reply).code(200).header('cache-control', 'public, max-age=3600').type(found.contentType).send(found.body);
  };

  return async (app) => {
    app.get(UI_ROOT, guarded(repositories));
    if (!app.hasRoute({ method: 'GET', url: '/ui' })) app.get('/ui', async (_request, reply) => reply.redirect(UI_ROOT, 302));
    app.get('/ui/r/*', guarded(repositoryOrImage));
    app.get('/ui/static/:file', guarded(asset));
    app.get('/ui/*', guarded(async (_request, reply) => problem(reply, 404, 'Not found', 'There is no such page.')));
  };
}
