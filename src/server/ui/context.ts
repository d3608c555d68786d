/**
 * What the UI is built from (`uiPlugin(dependencies)`), and what a page is
 * given for one request. Only the metadata store is required: a bare UI over
 * a store (the browser tests' server) shows what it can and says what it
 * cannot (no policy: every image would be served; no signature check: not
 * checked; no inventories: no package list).
 */
import type { Digest } from '../../core/index.js';
import type { ApiDeps, AuditLog } from '../api/v1/context.js';
import type { IdentityStore } from '../metadata/identity-store.js';
import type { InventoryStore } from '../metadata/inventory-store.js';
import type { MetadataStore } from '../metadata/store.js';
import type { AccessControl, PullPolicy } from '../services.js';
import type { SignatureView } from '../signature-check.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { SessionOptions } from './session.js';
import type { UiSessionStore } from '../metadata/session-store.js';
import type { WebhookStore } from '../metadata/webhook-store.js';
import type { UiOidc } from './oidc.js';

/**
 * A registry with accounts (`--accounts`): projects, members and robots for
 * the project pages, the webhooks of a project, the audit log; and, given
 * `manage`, the forms that change them (manage.ts).
 */
export interface UiAccounts {
  readonly store: Pick<IdentityStore, 'getUser' | 'getProject' | 'projectAccess' | 'listMembers' | 'listRobots' | 'projectsAdministeredBy' | 'getProjectSettings'>;
  /** Absent: the project pages have no webhooks section. */
  readonly webhooks?: Pick<WebhookStore, 'listWebhooks' | 'listDeliveries'>;
  /** Absent: /ui/audit says the registry keeps no audit log. */
  readonly audit?: AuditLog;
  /** The admin API's services (the same object as its own): project admins and registry administrators get forms. Absent: read only. */
  readonly manage?: ApiDeps;
}

/** What "Scan now" asks of the scan service (ScanService.rescan). */
export interface UiScans {
  rescan(repository: string, digest: Digest): Promise<void>;
}

export interface UiDependencies {
  readonly metadata: MetadataStore;
  /** Manifests and image configs (layer list, attestation types); without it those sections say they are unavailable. */
  readonly blobs?: BlobStore;
  /** Sign-in and pull access, asked as the API asks them; without it every page is open. */
  readonly auth?: AccessControl;
  /**
   * The rules pulls are judged by: the same PullPolicy object as the /v2 API's
   * (live-config's `verdicts`, which does not count refusals); absent, no rule
   * refuses anything.
   */
  readonly policy?: PullPolicy;
  /** The signature check behind `--require-signature`; absent or answering undefined: signatures are not checked. */
  readonly signatures?: SignatureView;
  /** The kept inventories (scan/kept.ts), read only: package lists and SBOM downloads. */
  readonly inventories?: Pick<InventoryStore, 'get'>;
  /** `host[:port]` clients pull from, for the pull commands; the request's Host when absent. */
  readonly publicName?: () => string;
  /** With `--accounts`: the project pages (/ui/p/<project>) and the audit log (/ui/audit) exist only when given. */
  readonly accounts?: UiAccounts;
  /** The scan service: "Scan now" on image pages (project and registry admins, signed in) only when given. */
  readonly scans?: UiScans;
  /** Sign-in session lifetimes and cap (session.ts defaults). */
  readonly sessions?: SessionOptions;
  /** Where sign-in sessions are kept (the metadata store's, open-stores.ts); absent, in this process's memory. */
  readonly sessionStore?: UiSessionStore;
  /** With accounts and `oidc.*` settings: "Sign in with <provider>" (oidc.ts) and the account page's CLI secret (oidc-account.ts). */
  readonly oidc?: UiOidc;
}

/** One request's view: the dependencies, the registry name to show in pull commands, and the plugin's shared limits. */
export interface UiContext extends Omit<UiDependencies, 'auth' | 'sessions' | 'sessionStore' | 'publicName' | 'accounts' | 'scans' | 'oidc'> {
  readonly publicName: string;
  readonly now: Date;
  /**
   * Kept inventories read back (InventoryStore `get` inflates and decodes) and
   * SBOMs written at once, for the whole UI: a document may be tens of MiB of
   * JSON, so concurrent page views wait their turn rather than each holding
   * one in memory.
   */
  readonly decodes: Limiter;
}

/** At most `limit` tasks at once; the others wait, first come first served. */
export class Limiter {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.#running >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}

/** Runs `work` over `items` with at most `limit` at once, answers in order (a page's verdicts without flooding the signature check). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}
