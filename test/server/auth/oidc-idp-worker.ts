/**
 * A real OpenID Provider for the OIDC tests: panva's `oidc-provider` (an
 * OpenID Foundation certified provider) on 127.0.0.1, in a worker thread of
 * the test process, so that its clock is its own: `clock` moves the
 * provider's time (its `Date.now`) without touching the registry's, which is
 * how a test gets ID tokens that expired by the provider's own TTL.
 *
 * Its development sign-in pages take any login (the account id, the ID
 * token's `sub`) and any password; consent is given at once. Accounts'
 * claims come from the test (`accounts`), and are read at each sign-in, so a
 * test can rename a user. `tamper` makes it a dishonest provider: the ID
 * token its token endpoint answers is replaced by one with other claims
 * (signed with its own key, or another provider's, or HS256 with the client
 * secret, or not at all), as an attacker who controls the provider's answer
 * would send it. `hold` answers the redirect back to the registry as text,
 * so a test can take the callback URL unused and replay or change it.
 * Driven by oidc-idp.ts over messages.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeJwt, importJWK, SignJWT, type JWK } from 'jose';
import Provider, { type ProviderContext } from 'oidc-provider';

export interface ClientSetup {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
}

export interface Tamper {
  /** Claims to set in the answered ID token (`iss`, `aud`, `azp`, `nonce`, `sub`…). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Sign with this key instead (another provider's private JWK, with its `kid`). */
  readonly key?: JWK;
  /** `HS256` with the client secret, or `none` (no signature). */
  readonly alg?: 'HS256' | 'none';
}

export type Command =
  | { readonly type: 'start'; readonly clients: readonly ClientSetup[] }
  | { readonly type: 'accounts'; readonly accounts: Readonly<Record<string, Readonly<Record<string, unknown>>>> }
  | { readonly type: 'tamper'; readonly tamper: Tamper | undefined }
  | { readonly type: 'hold'; readonly hold: boolean }
  | { readonly type: 'clock'; readonly offsetSeconds: number; readonly idTokenTtlSeconds: number };

export interface WorkerSetup {
  readonly jwk: JWK;
}

const setup = workerData as WorkerSetup;
const realNow = Date.now.bind(Date);
let offsetMs = 0;
Date.now = () => realNow() + offsetMs;

let accounts: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {};
let tamper: Tamper | undefined;
/** Answer the redirect back to the client as text (the test takes the URL) instead of sending the browser there. */
let hold = false;
let idTokenTtl = 3600;
let clientSecrets = new Map<string, string>();
let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;

const server = createServer((request, response) => {
  if (handler) return handler(request, response);
  response.writeHead(503).end();
});
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  parentPort!.postMessage({ type: 'listening', issuer });
  parentPort!.on('message', (command: Command) => {
    void run(issuer, command).then(
      () => parentPort!.postMessage({ type: 'done' }),
      (error: unknown) => parentPort!.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
  });
});

async function run(issuer: string, command: Command): Promise<void> {
  switch (command.type) {
    case 'start':
      handler = makeProvider(issuer, command.clients).callback();
      clientSecrets = new Map(command.clients.map((c) => [c.clientId, c.clientSecret]));
      return;
    case 'accounts':
      accounts = command.accounts;
      return;
    case 'tamper':
      tamper = command.tamper;
      return;
    case 'hold':
      hold = command.hold;
      return;
    case 'clock':
      offsetMs = command.offsetSeconds * 1000;
      idTokenTtl = command.idTokenTtlSeconds;
      return;
  }
}

function makeProvider(issuer: string, clients: readonly ClientSetup[]): Provider {
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [...c.redirectUris],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [setup.jwk] },
    cookies: { keys: ['portcullis-test-idp-cookie-key'] },
    claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'groups'], email: ['email'] },
    // Profile claims in the ID token, as Keycloak, Dex and most providers put them.
    conformIdTokenClaims: false,
    ttl: { IdToken: () => idTokenTtl },
    async findAccount(_ctx: unknown, id: string) {
      const claims = accounts[id];
      if (!claims) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
    },
    // Consent at once: the registry is the provider's own client here.
    async loadExistingGrant(ctx: ProviderContext) {
      const clientId = ctx.oidc.client?.clientId;
      const accountId = ctx.oidc.session?.accountId;
      if (!clientId || !accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    const location = ctx.status >= 300 && ctx.status < 400 ? ctx.response.get('location') : '';
    if (hold && clients.some((c) => c.redirectUris.some((uri) => location.startsWith(`${uri}?`)))) {
      ctx.response.remove('location');
      ctx.status = 200;
      ctx.body = location;
      return;
    }
    if (!tamper || ctx.path !== '/token' || ctx.method !== 'POST') return;
    const body = ctx.body as { id_token?: unknown } | undefined;
    if (typeof body?.id_token !== 'string') return;
    ctx.body = { ...body, id_token: await forge(body.id_token, tamper, [...clientSecrets.values()][0] ?? '') };
  });
  return provider;
}

async function forge(idToken: string, how: Tamper, clientSecret: string): Promise<string> {
  const claims = { ...decodeJwt(idToken), ...how.claims };
  if (how.alg === 'none') return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
  if (how.alg === 'HS256') return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: setup.jwk.kid! }).sign(new TextEncoder().encode(clientSecret));
  const jwk = how.key ?? setup.jwk;
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: jwk.kid! }).sign(await importJWK(jwk, 'RS256'));
}
