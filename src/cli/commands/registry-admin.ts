/**
 * `portcullis registry user|robot|project|member …`: manages a running
 * `portcullis serve --accounts` through its admin API (`/api/v1/`), with a
 * token from its `/token` (trading the administrator's credentials: `--creds`,
 * else PORTCULLIS_USERNAME/PORTCULLIS_PASSWORD, else what `portcullis login`
 * saved for the server's host). Passwords of new users come from
 * `--password-stdin`, or are generated and printed once; robot secrets are
 * printed once. Errors map to exit codes: 401/403 → 4, 404 → 3, 409 → 9,
 * 400 → 2, anything else → 5.
 */
import { randomBytes } from 'node:crypto';
import { Agent, fetch, type Dispatcher } from 'undici';
import { PortcullisError } from '../../core/index.js';
import { resolveCredentials } from '../../image/auth/index.js';
import { parseCreds } from '../context.js';
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import type { OutputStreams } from '../output.js';
import { readStdin } from './shared.js';

export type RegistryAdminErrorCode = 'UNAUTHORIZED' | 'DENIED' | 'NOT_FOUND' | 'CONFLICT' | 'USAGE' | 'SERVER' | 'UNREACHABLE';

export class RegistryAdminError extends PortcullisError<RegistryAdminErrorCode> {}

export interface AdminOptions {
  server?: string;
  creds?: string;
  tlsVerify?: boolean;
  format?: string;
  /** Tests: where --password-stdin reads. */
  stdin?: NodeJS.ReadableStream;
}

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface AdminClient {
  call(method: string, path: string, body?: unknown): Promise<unknown>;
}

/** Signs in at the server's /token and calls its /api/v1 (also for registry-webhook.ts and registry-audit.ts). */
export async function connect(options: AdminOptions, io: OutputStreams): Promise<AdminClient> {
  const server = (options.server ?? io.env.PORTCULLIS_SERVER ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(server)) throw new UsageError('--server takes the registry\'s URL, e.g. http://127.0.0.1:5000 (or set PORTCULLIS_SERVER)');
  const host = new URL(server).host;
  let credentials = options.creds ? parseCreds(options.creds) : undefined;
  if (!credentials && io.env.PORTCULLIS_USERNAME && io.env.PORTCULLIS_PASSWORD !== undefined) credentials = { username: io.env.PORTCULLIS_USERNAME, password: io.env.PORTCULLIS_PASSWORD };
  if (!credentials) {
    const saved = await resolveCredentials(host, { env: io.env });
    if (saved && 'username' in saved && saved.username) credentials = { username: saved.username, password: saved.password };
  }
  if (!credentials) throw new RegistryAdminError('UNAUTHORIZED', `no credentials for ${host}: pass --creds USER:PASS, set PORTCULLIS_USERNAME and PORTCULLIS_PASSWORD, or run portcullis login ${host}`);
  const dispatcher: Dispatcher | undefined = options.tlsVerify === false ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined;
  const basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  // The admin API takes only tokens issued for it (scope registry:admin:*), never a client's pull or push token.
  const tokenAnswer = await request(dispatcher, 'GET', `${server}/token?scope=${encodeURIComponent('registry:admin:*')}`, basic);
  const token = typeof tokenAnswer === 'object' && tokenAnswer !== null ? (tokenAnswer as { token?: unknown }).token : undefined;
  if (typeof token !== 'string') throw new RegistryAdminError('SERVER', `${server}/token answered without a token: is this portcullis serve --accounts?`);
  return { call: (method, path, body) => request(dispatcher, method, `${server}/api/v1${path}`, `Bearer ${token}`, body) };
}

async function request(dispatcher: Dispatcher | undefined, method: string, url: string, authorization: string, body?: unknown): Promise<unknown> {
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(dispatcher ? { dispatcher } : {}),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw new RegistryAdminError('UNREACHABLE', `cannot reach ${new URL(url).origin}: ${(error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  if (text.length > MAX_RESPONSE_BYTES) throw new RegistryAdminError('SERVER', `${url}: the answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed;
  const message = (parsed as { errors?: Array<{ message?: unknown }> } | undefined)?.errors?.[0]?.message;
  const said = typeof message === 'string' ? message : `HTTP ${response.status}`;
  const code: RegistryAdminErrorCode =
    response.status === 401 ? 'UNAUTHORIZED' : response.status === 403 ? 'DENIED' : response.status === 404 ? 'NOT_FOUND' : response.status === 409 ? 'CONFLICT' : response.status === 400 ? 'USAGE' : 'SERVER';
  throw new RegistryAdminError(code, said);
}

/** Every page of a list (the API's Link rel="next" is followed via `last`). */
async function listAll(client: AdminClient, path: string, key: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let last: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const query = new URLSearchParams({ n: '1000', ...(last !== undefined ? { last } : {}) });
    const page = ((await client.call('GET', `${path}?${query.toString()}`)) as Record<string, unknown> | undefined)?.[key];
    if (!Array.isArray(page)) return out;
    for (const item of (page as Array<Record<string, unknown>>).slice(0, 1000)) out.push(item);
    if (page.length < 1000) return out;
    const tail = page[page.length - 1] as Record<string, unknown>;
    last = String(tail.name ?? tail.user ?? '');
  }
  return out;
}

/** A table (or, with --format json, the rows as JSON). */
export function print(io: OutputStreams, options: AdminOptions, rows: Array<Record<string, unknown>>, columns: readonly string[]): void {
  if (options.format === 'json') {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const cell = (v: unknown): string => (v === undefined || v === null ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  const widths = columns.map((c) => rows.reduce((w, r) => Math.max(w, cell(r[c]).length), c.length));
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  io.stdout.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) io.stdout.write(`${line(columns.map((c) => cell(r[c])))}\n`);
}

async function newPassword(options: AdminOptions & { passwordStdin?: boolean }, io: OutputStreams): Promise<{ password: string; generated: boolean }> {
  if (options.passwordStdin) return { password: (await readStdin(options.stdin ?? process.stdin, 64 * 1024)).replace(/\r?\n$/, ''), generated: false };
  return { password: randomBytes(18).toString('base64url'), generated: true };
}

const enc = encodeURIComponent;

export async function userCommand(verb: 'add' | 'list' | 'passwd' | 'rm' | 'admin', name: string | undefined, options: AdminOptions & { admin?: boolean; passwordStdin?: boolean; set?: boolean; unset?: boolean }, io: OutputStreams): Promise<number> {
  if (verb === 'admin' && options.set === options.unset) throw new UsageError('registry user admin takes --set (make a registry administrator) or --unset (no longer one), one of them');
  const client = await connect(options, io);
  if (verb === 'list') {
    print(io, options, await listAll(client, '/users', 'users'), ['name', 'admin', 'createdAt']);
    return ExitCode.Ok;
  }
  if (!name) throw new UsageError(`registry user ${verb} needs a user name`);
  if (verb === 'admin') {
    // The server refuses (409, exit 9) to remove the last administrator.
    const user = await client.call('PATCH', `/users/${enc(name)}`, { admin: options.set === true });
    if (options.format === 'json') io.stdout.write(`${JSON.stringify(user, null, 2)}\n`);
    io.stderr.write(`${name} is ${options.set === true ? 'now' : 'no longer'} a registry administrator\n`);
    return ExitCode.Ok;
  }
  if (verb === 'rm') {
    await client.call('DELETE', `/users/${enc(name)}`);
    io.stderr.write(`deleted user ${name}\n`);
    return ExitCode.Ok;
  }
  const { password, generated } = await newPassword(options, io);
  if (verb === 'add') await client.call('POST', '/users', { name, password, admin: options.admin === true });
  else await client.call('PUT', `/users/${enc(name)}/password`, { password });
  io.stderr.write(`${verb === 'add' ? 'created user' : 'changed the password of'} ${name}${generated ? '; the password (shown once):' : ''}\n`);
  if (generated) io.stdout.write(`${password}\n`);
  return ExitCode.Ok;
}

export async function projectCommand(verb: 'create' | 'list' | 'rm' | 'visibility', name: string | undefined, options: AdminOptions & { public?: boolean; visibility?: string }, io: OutputStreams): Promise<number> {
  if (verb === 'visibility' && options.visibility !== 'public' && options.visibility !== 'private') throw new UsageError(`registry project visibility takes public or private, not "${String(options.visibility ?? '')}"`);
  const client = await connect(options, io);
  if (verb === 'list') {
    print(io, options, await listAll(client, '/projects', 'projects'), ['name', 'public', 'createdAt']);
    return ExitCode.Ok;
  }
  if (!name) throw new UsageError(`registry project ${verb} needs a project name`);
  if (verb === 'visibility') {
    await client.call('PATCH', `/projects/${enc(name)}`, { public: options.visibility === 'public' });
    io.stderr.write(`project ${name} is now ${String(options.visibility)}\n`);
    return ExitCode.Ok;
  }
  if (verb === 'create') await client.call('POST', '/projects', { name, public: options.public === true });
  else await client.call('DELETE', `/projects/${enc(name)}`);
  io.stderr.write(`${verb === 'create' ? 'created' : 'deleted'} project ${name}\n`);
  return ExitCode.Ok;
}

export async function memberCommand(verb: 'add' | 'rm' | 'list', project: string, user: string | undefined, role: string | undefined, options: AdminOptions, io: OutputStreams): Promise<number> {
  const client = await connect(options, io);
  if (verb === 'list') {
    print(io, options, await listAll(client, `/projects/${enc(project)}/members`, 'members'), ['user', 'role']);
    return ExitCode.Ok;
  }
  if (!user) throw new UsageError(`registry member ${verb} needs PROJECT USER${verb === 'add' ? ' ROLE' : ''}`);
  if (verb === 'add') {
    if (!role) throw new UsageError('registry member add needs a role: pull, push, delete or admin');
    await client.call('PUT', `/projects/${enc(project)}/members/${enc(user)}`, { role });
    io.stderr.write(`${user} is ${role} in ${project}\n`);
  } else {
    await client.call('DELETE', `/projects/${enc(project)}/members/${enc(user)}`);
    io.stderr.write(`removed ${user} from ${project}\n`);
  }
  return ExitCode.Ok;
}

export async function robotCommand(
  verb: 'create' | 'list' | 'revoke',
  target: string | undefined,
  name: string | undefined,
  options: AdminOptions & { actions?: string; expires?: string; description?: string },
  io: OutputStreams,
): Promise<number> {
  const client = await connect(options, io);
  if (verb === 'list') {
    if (!target) throw new UsageError('registry robot list needs a project');
    print(io, options, await listAll(client, `/projects/${enc(target)}/robots`, 'robots'), ['name', 'actions', 'expiresAt', 'revokedAt']);
    return ExitCode.Ok;
  }
  if (verb === 'revoke') {
    // `robot$team+ci`, or PROJECT NAME.
    const m = target === undefined ? null : /^robot\$([^+]+)\+(.+)$/.exec(target);
    const project = m ? m[1]! : target;
    const short = m ? m[2]! : name;
    if (!project || !short) throw new UsageError('registry robot revoke needs robot$PROJECT+NAME (or PROJECT NAME)');
    await client.call('DELETE', `/projects/${enc(project)}/robots/${enc(short)}`);
    io.stderr.write(`revoked robot$${project}+${short}\n`);
    return ExitCode.Ok;
  }
  if (!target || !name) throw new UsageError('registry robot create needs PROJECT NAME');
  const actions = (options.actions ?? 'pull').split(',').map((a) => a.trim()).filter(Boolean);
  let expiresInDays = 0;
  if (options.expires !== undefined && options.expires !== 'never') {
    const m = /^(\d{1,4})d$/.exec(options.expires.trim());
    if (!m) throw new UsageError(`--expires takes a number of days such as 90d, or never, not "${options.expires}"`);
    expiresInDays = Number(m[1]);
  }
  const made = (await client.call('POST', `/projects/${enc(target)}/robots`, {
    name,
    actions,
    expiresInDays,
    ...(options.description !== undefined ? { description: options.description } : {}),
  })) as { name?: unknown; secret?: unknown; expiresAt?: unknown };
  io.stderr.write(`created ${String(made.name)} (${actions.join(',')}, ${made.expiresAt ? `expires ${String(made.expiresAt)}` : 'never expires'}); its secret (shown once):\n`);
  io.stdout.write(`${String(made.secret)}\n`);
  return ExitCode.Ok;
}
