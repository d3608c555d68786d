/**
 * Answering a Notary server's 401 as the docker CLI does: `Basic` gets the
 * credentials, `Bearer realm=…,service=…` gets a token from the realm
 * (Docker's token flow, with `scope=repository:<repository path>:pull` for
 * reading and `pull,push` for publishing, see `tokenScopes`) and the request
 * is retried once.
 * The token flow is the registry client's own (image/transports/docker
 * auth.ts `Authenticator`, loaded through `loadTokenAuth` at the first 401),
 * not a second one.
 *
 * Credentials are resolved only when a server asks (a credential helper is
 * not run for a public GUN), and never leave for where they do not belong:
 * a realm on a host other than the Notary server's and the host the
 * credentials are for gets an anonymous token request; nothing is sent
 * over plain HTTP to a host that is not loopback. A 401 after our answer is
 * a one-line UNAUTHORIZED error naming the server and `portcullis login`.
 */
import type { RegistryCredentials } from '../../image/auth/index.js';
import { isLoopbackRegistry, loadTokenAuth, type Challenge } from '../../image/transports/docker/index.js';
import { HttpError, type HttpErrorCode } from '../../http/index.js';

/** Registry error codes that mean the same as the HttpError code of that name; others become PROTOCOL. */
const KEPT_CODES: ReadonlySet<string> = new Set(['TLS', 'TIMEOUT', 'TOO_LARGE', 'RATE_LIMITED', 'SERVER']);

export interface NotaryCredentials {
  readonly credentials: RegistryCredentials;
  /** The host they are stored for (the Notary server's, or the registry's of the GUN). */
  readonly host: string;
}

/** Finds credentials when a server asks; undefined: none. */
export type CredentialLookup = () => Promise<NotaryCredentials | undefined>;

export interface NotaryAuthOptions {
  readonly server: URL;
  readonly gun: string;
  /** `pull` for reading, `pull,push` for publishing. */
  readonly actions: readonly ('pull' | 'push')[];
  readonly credentials?: CredentialLookup;
  readonly tls: { readonly ca?: readonly string[]; readonly rejectUnauthorized: boolean };
  readonly timeoutMs?: number;
}

/** `host/team/app` → `team/app`: the repository the registry grants rights on. */
export function repositoryOfGun(gun: string): string {
  const slash = gun.indexOf('/');
  return slash < 0 ? gun : gun.slice(slash + 1);
}

export class NotaryAuth {
  private authorization: string | undefined;
  /** Whether the current authorization carries the user's credentials (or a token got with them). */
  private withCredentials = false;
  private realmNote = '';
  private plainRemote = false;
  /** The host the credentials found are stored for: what `portcullis login` should name. */
  private credentialsHost: string | undefined;
  private http: { close(): Promise<void> } | undefined;

  constructor(private readonly options: NotaryAuthOptions) {}

  /** Headers for the next request: the authorization settled on, if any. */
  headers(): Record<string, string> {
    return this.authorization ? { authorization: this.authorization } : {};
  }

  /**
   * After a 401 with these WWW-Authenticate values: settles an authorization
   * to retry with, or throws UNAUTHORIZED when there is nothing (more) to try.
   */
  async challenged(wwwAuthenticate: readonly string[]): Promise<void> {
    const server = this.options.server;
    if (this.authorization !== undefined) throw this.refused(this.withCredentials);
    const { Authenticator, HttpClient, basicAuthorization, parseChallenges, pickChallenge } = await loadTokenAuth();
    const challenge = pickChallenge(parseChallenges(wwwAuthenticate));
    if (!challenge) throw new HttpError('UNAUTHORIZED', `the Notary server ${server.host} asks for authentication without a Basic or Bearer challenge`, { status: 401 });
    const plainRemote = server.protocol !== 'https:' && !isLoopbackRegistry(server.host);
    this.plainRemote = plainRemote;
    const found = plainRemote ? undefined : await this.options.credentials?.();
    this.credentialsHost = found?.host;
    if (challenge.scheme === 'basic') {
      if (!found) throw this.missing(plainRemote);
      this.authorization = basicAuthorization(found.credentials);
      this.withCredentials = true;
      return;
    }
    const sendTo = found && realmMayHave(challenge, server, found.host) ? found : undefined;
    if (found && !sendTo) this.realmNote = `; its token realm is on another host, which was not sent the credentials for ${found.host}`;
    const http = new HttpClient({
      tls: { rejectUnauthorized: this.options.tls.rejectUnauthorized, ...(this.options.tls.ca ? { ca: [...this.options.tls.ca] } : {}) },
      retries: 1,
      ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
    });
    this.http = http;
    const authenticator = new Authenticator({ http, ...(sendTo ? { credentials: sendTo.credentials } : {}), allowInsecureRealm: false, allowLoopbackHttpRealm: true });
    authenticator.setChallenge(challenge);
    try {
      this.authorization = await authenticator.authorization(tokenScopes(this.options.gun, this.options.actions));
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const code = (error as { code?: unknown }).code;
      if (status === 401 || code === 'UNAUTHORIZED') throw this.refused(sendTo !== undefined);
      // The registry client's errors as the Notary client's vocabulary (HttpError), so content trust weighs them: a
      // realm that cannot be asked is a failure that refuses, never "no Notary service".
      const kept = typeof code === 'string' && KEPT_CODES.has(code) ? (code as HttpErrorCode) : 'PROTOCOL';
      throw new HttpError(kept, `the Notary server ${server.host}: no token for ${this.options.gun}: ${(error as Error).message}`, { cause: error });
    }
    this.withCredentials = sendTo !== undefined;
  }

  async close(): Promise<void> {
    await this.http?.close();
  }

  private loginHint(host: string): string {
    return `run "portcullis login ${host}"`;
  }

  private missing(plainRemote: boolean, note = ''): HttpError {
    const { server, gun } = this.options;
    if (plainRemote) return new HttpError('UNAUTHORIZED', `the Notary server ${server.host} asks for credentials for ${gun} over plain HTTP: refusing to send them (use https)`, { status: 401 });
    return new HttpError('UNAUTHORIZED', `the Notary server ${server.host} asks for credentials for ${gun}${note === '' ? ' and none are configured' : note}: ${this.loginHint(hostOfGun(gun))}`, { status: 401 });
  }

  private refused(withCredentials: boolean): HttpError {
    const { server, gun } = this.options;
    if (!withCredentials) return this.missing(this.plainRemote, this.realmNote);
    return new HttpError('UNAUTHORIZED', `the Notary server ${server.host} refused the credentials for ${gun}: ${this.loginHint(this.credentialsHost ?? hostOfGun(gun))}`, { status: 401 });
  }
}

/**
 * The scopes a token is asked for: the repository path (what a registry's
 * token server, `portcullis serve` included, grants rights on) and, when it
 * differs, the whole GUN (what the docker CLI asks notary.docker.io's token
 * server for). Token servers grant the intersection of what is asked and what
 * the caller may do; a name they do not know grants nothing.
 */
export function tokenScopes(gun: string, actions: readonly ('pull' | 'push')[]): string[] {
  const repositoryScope = (name: string, granted: readonly string[]) => `repository:${name}:${granted.join(',')}`;
  const path = repositoryOfGun(gun);
  return path === gun ? [repositoryScope(gun, actions)] : [repositoryScope(path, actions), repositoryScope(gun, actions)];
}

function hostOfGun(gun: string): string {
  const slash = gun.indexOf('/');
  return slash < 0 ? gun : gun.slice(0, slash);
}

/** Whether a Bearer realm may receive the credentials: on the Notary server's host or the host they are for. */
function realmMayHave(challenge: Challenge, server: URL, credentialsHost: string): boolean {
  let realm: URL;
  try {
    realm = new URL(challenge.params.realm ?? '');
  } catch {
    return false; // the Authenticator reports the invalid realm
  }
  const host = realm.host.toLowerCase();
  return host === server.host.toLowerCase() || host === credentialsHost.toLowerCase();
}
