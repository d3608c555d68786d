/**
 * A docker-registry 2.8 configured for token auth, and a tiny token issuer
 * (node:http on 127.0.0.1) that signs RS256 JWTs with a key whose
 * self-signed certificate is the registry's rootcertbundle; the JWT header
 * carries that certificate in `x5c`. Anonymous callers get `pull` on
 * `public/*` only; the one user gets what they ask for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, timingSafeEqual, X509Certificate, type KeyObject } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, runCommand } from './peers.js';
import { startStub, type Stub } from './http-stub.js';

export const SERVICE = 'portcullis-test-registry';
export const ISSUER = 'portcullis-test-issuer';
export const USER = 'alice';
export const PASSWORD = 'alice-secret';

export interface TokenRegistry {
  host: string;
  data: string;
  issuer: Stub;
  /** Token requests seen, with the scopes asked and whether credentials came. */
  tokenRequests: { scopes: string[]; user: string | undefined; rejected: boolean }[];
  /** 'token' (default) or 'access_token': the field the issuer answers with. */
  field: 'token' | 'access_token';
  stop(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function jwt(key: KeyObject, certDer: Buffer, claims: Record<string, unknown>): string {
  const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
}

export async function startTokenRegistry(dir: string): Promise<TokenRegistry> {
  await mkdir(join(dir, 'data'), { recursive: true });
  const keyFile = join(dir, 'token.key');
  const certFile = join(dir, 'token.crt');
  const made = await runCommand('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=portcullis-test-token-issuer',
    '-days', '2', '-keyout', keyFile, '-out', certFile,
  ]);
  if (made.code !== 0) throw new Error(`openssl: ${made.stderr}`);
  const key = createPrivateKey(await readFile(keyFile));
  const certDer = Buffer.from(new X509Certificate(await readFile(certFile)).raw);

  const state: Pick<TokenRegistry, 'tokenRequests' | 'field'> = { tokenRequests: [], field: 'token' };
  const issuer = await startStub((req, res) => {
    const url = new URL(req.url ?? '/', 'http://issuer');
    const scopes = url.searchParams.getAll('scope');
    let user: string | undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const name = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      if (!sameSecret(name, USER) || !sameSecret(password, PASSWORD)) {
        state.tokenRequests.push({ scopes, user: name, rejected: true });
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      user = name;
    }
    state.tokenRequests.push({ scopes, user, rejected: false });
    const access = [];
    for (const scope of scopes) {
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      const type = scope.slice(0, first);
      const name = scope.slice(first + 1, last);
      const wanted = scope.slice(last + 1).split(',');
      const actions = user ? wanted : name.startsWith('public/') ? wanted.filter((a) => a === 'pull') : [];
      access.push({ type, name, actions });
    }
    const now = Math.floor(Date.now() / 1000);
    const token = jwt(key, certDer, {
      iss: ISSUER,
      sub: user ?? '',
      aud: SERVICE,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ [state.field]: token, expires_in: 300, issued_at: new Date().toISOString() }),
    );
  });

  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: {level: info, accesslog: {disabled: true}}',
      'storage:',
      `  filesystem: {rootdirectory: ${join(dir, 'data')}}`,
      '  delete: {enabled: true}',
      '  maintenance: {uploadpurging: {enabled: false}}',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: token-test-secret',
      'auth:',
      '  token:',
      `    realm: ${issuer.url}/token`,
      `    service: ${SERVICE}`,
      `    issuer: ${ISSUER}`,
      `    rootcertbundle: ${certFile}`,
      '',
    ].join('\n'),
  );
  const log = openSync(join(dir, 'registry.log'), 'a');
  // env -i: docker-registry reads REGISTRY_* variables as configuration overrides.
  const child: ChildProcess = spawn('env', ['-i', `PATH=${process.env.PATH ?? ''}`, 'docker-registry', 'serve', config], {
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const host = `127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      up = res.status === 401;
    } catch {
      await sleep(50);
    }
  }
  if (!up) {
    child.kill();
    throw new Error(`token registry did not start: ${await readFile(join(dir, 'registry.log'), 'utf8')}`);
  }
  const registry: TokenRegistry = {
    host,
    data: join(dir, 'data'),
    issuer,
    get tokenRequests() {
      return state.tokenRequests;
    },
    get field() {
      return state.field;
    },
    set field(value) {
      state.field = value;
    },
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(3000)]);
      }
      await issuer.close();
    },
  };
  return registry;
}
