/**
 * `portcullis registry audit`: reads the audit log of a running `portcullis
 * serve --accounts` (`GET /api/v1/audit`), newest first, through the same
 * signed-in client as `registry user …` (registry-admin.ts). Filters go to
 * the server as they are (it checks them: a bad one exits 2 with its
 * message); `--limit` events at most are read, following the server's
 * cursor a page (at most 1,000 events) at a time. Table columns: time,
 * action, outcome, principal, address, what (repository:tag@digest or the
 * project), and the detail as compact JSON; `--format json` prints the
 * events as the API gives them.
 */
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import type { OutputStreams } from '../output.js';
import { connect, print, RegistryAdminError, type AdminOptions } from './registry-admin.js';

export interface RegistryAuditOptions extends AdminOptions {
  since?: string;
  until?: string;
  repository?: string;
  project?: string;
  user?: string;
  action?: string;
  outcome?: string;
  limit?: string;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000_000;
const PAGE = 1000;
const FILTERS = ['since', 'until', 'repository', 'project', 'user', 'action', 'outcome'] as const;

export async function registryAudit(options: RegistryAuditOptions, io: OutputStreams): Promise<number> {
  const format = options.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format takes table or json, not "${format}"`);
  const limitText = options.limit ?? String(DEFAULT_LIMIT);
  if (!/^\d{1,7}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT) throw new UsageError(`--limit takes a whole number from 1 to ${MAX_LIMIT}, not "${limitText}"`);
  const limit = Number(limitText);
  const filters = new URLSearchParams({ since: options.since ?? '24h' });
  for (const name of FILTERS) {
    const value = options[name];
    if (value !== undefined && name !== 'since') filters.set(name, value);
  }
  const client = await connect(options, io);
  const events: Array<Record<string, unknown>> = [];
  let cursor: string | undefined;
  while (events.length < limit) {
    const query = new URLSearchParams(filters);
    query.set('n', String(Math.min(PAGE, limit - events.length)));
    if (cursor !== undefined) query.set('cursor', cursor);
    const page = (await client.call('GET', `/audit?${query.toString()}`)) as { events?: unknown; next?: unknown } | undefined;
    if (!page || !Array.isArray(page.events)) throw new RegistryAdminError('SERVER', 'the server answered without events: is this portcullis serve --accounts with an audit log?');
    for (const event of page.events.slice(0, limit - events.length)) if (typeof event === 'object' && event !== null) events.push(event as Record<string, unknown>);
    if (typeof page.next !== 'string' || page.events.length === 0) break;
    cursor = page.next;
  }
  if (format === 'json') {
    print(io, { format: 'json' }, events, []);
    return ExitCode.Ok;
  }
  print(io, {}, events.map(row), ['time', 'action', 'outcome', 'principal', 'ip', 'what', 'detail']);
  return ExitCode.Ok;
}

function row(event: Record<string, unknown>): Record<string, unknown> {
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const repository = text(event.repository);
  const tag = text(event.tag);
  const digest = text(event.digest);
  const what = repository !== undefined ? `${repository}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest.slice(0, 19)}` : ''}` : text(event.project);
  const detail = event.detail !== null && event.detail !== undefined ? JSON.stringify(event.detail) : undefined;
  return {
    time: event.time,
    action: event.action,
    outcome: event.outcome,
    principal: event.principal,
    ip: event.ip,
    what,
    detail: detail !== undefined && detail.length > 80 ? `${detail.slice(0, 79)}…` : detail,
  };
}
