/**
 * "Scan now": `POST /ui/r/<repo>/m/<digest>/scan` queues a rescan of one
 * image through the scan service (ScanService.rescan, the same queue a
 * push or a database change fills), then answers 303 back to the image
 * page, which says the scan is queued.
 *
 * Who may: a person signed in to the UI (a session: the form carries the
 * session's own token) with the admin role in the repository's project, or
 * a registry administrator — `can(principal, 'admin', repository)`, asked
 * of the same AccessControl as every other request. Everyone else gets 403,
 * as does a post without the session's token or from another site
 * (login.ts explains the three defences). Credentials sent with the request
 * (Basic, Bearer) are not enough: scripts have no form token, and the
 * admin API is theirs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalName, type Principal } from '../auth/principal.js';
import type { AccessControl } from '../services.js';
import type { MetadataStore } from '../metadata/store.js';
import type { UiScans } from './context.js';
import { acceptForms, chromeOf, field, fromAnotherSite, sessionOf } from './login.js';
import { imagePath, parseUiPath } from './paths.js';
import { problem, secure } from './respond.js';
import { sameToken, type SessionStore } from './session.js';

export interface ScanNowDependencies {
  readonly auth: AccessControl;
  readonly sessions: SessionStore;
  readonly scans: UiScans;
  readonly metadata: Pick<MetadataStore, 'getManifest'>;
  /** The session's principal as the store has it now (the plugin's administrator refresh). */
  readonly current: (principal: Principal) => Promise<Principal>;
}

/** The query an image page is sent back with after "Scan now". */
export const QUEUED_QUERY = 'scan=queued';

export function scanNowRoutes(deps: ScanNowDependencies): (app: FastifyInstance) => Promise<void> {
  const { auth, sessions, scans, metadata, current: currentOf } = deps;

  async function scanNow(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const rest = (request.params as { '*'?: string })['*'] ?? '';
    const path = rest.endsWith('/scan') ? parseUiPath(rest.slice(0, -'/scan'.length)) : undefined;
    if (!path || path.kind !== 'image') {
      problem(reply, 404, 'Not found', 'There is no such page.');
      return reply;
    }
    const current = await sessionOf(request, sessions);
    if (!current) {
      problem(reply, 403, 'Scan refused', 'Sign in to the UI to queue a scan.', { signIn: true });
      return reply;
    }
    const chrome = chromeOf(current.session);
    const principal = await currentOf(current.session.principal);
    if (fromAnotherSite(request) || !sameToken(field(request.body, 'csrf'), current.session.csrf)) {
      request.log.warn({ event: 'ui.csrf', path: 'scan', ip: request.ip }, 'scan refused: the form token is missing or wrong');
      problem(reply, 403, 'Scan refused', 'The form did not come from this page: use the Scan now button.', chrome);
      return reply;
    }
    if (!(await auth.can(principal, 'admin', path.name))) {
      problem(reply, 403, 'Scan refused', 'Queuing a scan needs the admin role in this project.', chrome);
      return reply;
    }
    if (!(await metadata.getManifest(path.name, path.digest))) {
      problem(reply, 404, 'Image not found', `Repository "${path.name}" holds no manifest ${path.digest}.`, chrome);
      return reply;
    }
    await scans.rescan(path.name, path.digest);
    request.log.info({ event: 'ui.scan', user: principalName(principal), repository: path.name, digest: path.digest, ip: request.ip }, `${principalName(principal)} queued a scan of ${path.name}@${path.digest}`);
    secure(reply).header('cache-control', 'no-store');
    return reply.redirect(`${imagePath(path.name, path.digest)}?${QUEUED_QUERY}`, 303);
  }

  return async (app) => {
    acceptForms(app, 'the image page');
    app.post('/ui/r/*', async (request, reply) => {
      try {
        return await scanNow(request, reply);
      } catch (error) {
        request.log.error({ err: error }, 'ui scan failed');
        if (!reply.sent) problem(reply, 500, 'Internal error', 'The scan could not be queued; the registry log has the details.');
        return reply;
      }
    });
  };
}
