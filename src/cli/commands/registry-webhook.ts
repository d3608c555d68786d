/**
 * `portcullis registry webhook add|set|list|remove|deliveries|redeliver PROJECT …`:
 * a project's webhooks on a running `portcullis serve --accounts`, through
 * `/api/v1/projects/PROJECT/webhooks` (api/v1/webhooks.ts), signed in as the
 * project's admin or a registry administrator (credentials as for the other
 * `registry` commands: registry-admin.ts). `add` prints the webhook's id on
 * stderr and its secret on stdout, once (`--secret-stdin` sets one instead);
 * `set` changes what is given (PATCH) and, with `--rotate-secret`, prints the
 * new secret on stdout, once.
 * Errors exit as the other admin commands do: 401/403 → 4, 404 → 3, 409 → 9,
 * 400 → 2, anything else → 5.
 */
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import type { OutputStreams } from '../output.js';
import { connect, print, type AdminOptions } from './registry-admin.js';
import { readStdin } from './shared.js';

export interface WebhookAddOptions extends AdminOptions {
  events?: string;
  /** Clair v4's notifier format (vulnerability events only). */
  clair?: boolean;
  description?: string;
  secretStdin?: boolean;
  disabled?: boolean;
}

const enc = encodeURIComponent;

export async function webhookAddCommand(project: string, url: string, options: WebhookAddOptions, io: OutputStreams): Promise<number> {
  const events = options.events?.split(',').map((e) => e.trim()).filter(Boolean);
  if (events !== undefined && events.length === 0) throw new UsageError('--events takes a comma-separated list such as push,scan.completed');
  const secret = options.secretStdin ? (await readStdin(options.stdin ?? process.stdin, 4096)).replace(/\r?\n$/, '') : undefined;
  const client = await connect(options, io);
  const made = (await client.call('POST', `/projects/${enc(project)}/webhooks`, {
    url,
    ...(events ? { events } : {}),
    ...(options.clair ? { format: 'clair' } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.disabled ? { enabled: false } : {}),
    ...(secret !== undefined ? { secret } : {}),
  })) as { id?: unknown; secret?: unknown; events?: unknown };
  const listed = Array.isArray(made.events) ? made.events.join(',') : '';
  io.stderr.write(`created webhook ${String(made.id)} in ${project} (${listed})${secret === undefined ? '; its secret (shown once):' : ''}\n`);
  if (secret === undefined) io.stdout.write(`${String(made.secret)}\n`);
  return ExitCode.Ok;
}

export async function webhookListCommand(project: string, options: AdminOptions, io: OutputStreams): Promise<number> {
  const client = await connect(options, io);
  const answer = (await client.call('GET', `/projects/${enc(project)}/webhooks`)) as { webhooks?: unknown } | undefined;
  const rows = Array.isArray(answer?.webhooks) ? (answer.webhooks as Array<Record<string, unknown>>) : [];
  print(io, options, rows, ['id', 'url', 'format', 'events', 'enabled']);
  return ExitCode.Ok;
}

export async function webhookRemoveCommand(project: string, id: string, options: AdminOptions, io: OutputStreams): Promise<number> {
  const client = await connect(options, io);
  await client.call('DELETE', `/projects/${enc(project)}/webhooks/${enc(id)}`);
  io.stderr.write(`removed webhook ${id} from ${project}\n`);
  return ExitCode.Ok;
}

export async function webhookDeliveriesCommand(project: string, id: string, options: AdminOptions & { limit?: string }, io: OutputStreams): Promise<number> {
  const limit = options.limit ?? '20';
  if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw new UsageError(`--limit takes a number from 1 to 1000, not "${limit}"`);
  const client = await connect(options, io);
  const answer = (await client.call('GET', `/projects/${enc(project)}/webhooks/${enc(id)}/deliveries?n=${limit}`)) as { deliveries?: unknown } | undefined;
  const rows = Array.isArray(answer?.deliveries) ? (answer.deliveries as Array<Record<string, unknown>>) : [];
  print(io, options, rows, ['id', 'event', 'state', 'attempts', 'responseStatus', 'updatedAt', 'error']);
  return ExitCode.Ok;
}

export async function webhookRedeliverCommand(project: string, id: string, delivery: string, options: AdminOptions, io: OutputStreams): Promise<number> {
  const client = await connect(options, io);
  const copy = (await client.call('POST', `/projects/${enc(project)}/webhooks/${enc(id)}/deliveries/${enc(delivery)}/redeliver`)) as { id?: unknown };
  io.stderr.write(`queued delivery ${delivery} again as ${String(copy.id)}\n`);
  return ExitCode.Ok;
}

export interface WebhookSetOptions extends AdminOptions {
  url?: string;
  events?: string;
  /** Switch to Clair's format, or back to portcullis's. */
  clair?: boolean;
  portcullis?: boolean;
  description?: string;
  enable?: boolean;
  disable?: boolean;
  rotateSecret?: boolean;
  secretStdin?: boolean;
}

/** Changes what the options give (nothing given: a usage error); a rotated secret is printed once. */
export async function webhookSetCommand(project: string, id: string, options: WebhookSetOptions, io: OutputStreams): Promise<number> {
  const events = options.events?.split(',').map((e) => e.trim()).filter(Boolean);
  if (events !== undefined && events.length === 0) throw new UsageError('--events takes a comma-separated list such as push,scan.completed');
  if (options.enable && options.disable) throw new UsageError('give --enable or --disable, not both');
  if (options.clair && options.portcullis) throw new UsageError('give --clair or --portcullis, not both');
  if (options.rotateSecret && options.secretStdin) throw new UsageError('give --rotate-secret or --secret-stdin, not both');
  const secret = options.secretStdin ? (await readStdin(options.stdin ?? process.stdin, 4096)).replace(/\r?\n$/, '') : undefined;
  const body = {
    ...(options.url !== undefined ? { url: options.url } : {}),
    ...(events ? { events } : {}),
    ...(options.clair ? { format: 'clair' } : options.portcullis ? { format: 'portcullis' } : {}),
    ...(options.description !== undefined ? { description: options.description === '' ? null : options.description } : {}),
    ...(options.enable ? { enabled: true } : options.disable ? { enabled: false } : {}),
    ...(options.rotateSecret ? { rotateSecret: true } : {}),
    ...(secret !== undefined ? { secret } : {}),
  };
  if (Object.keys(body).length === 0) throw new UsageError('registry webhook set needs something to change: --url, --events, --clair, --portcullis, --description, --enable, --disable, --rotate-secret or --secret-stdin');
  const client = await connect(options, io);
  const changed = (await client.call('PATCH', `/projects/${enc(project)}/webhooks/${enc(id)}`, body)) as { secret?: unknown; enabled?: unknown; events?: unknown };
  const listed = Array.isArray(changed.events) ? changed.events.join(',') : '';
  io.stderr.write(`changed webhook ${id} in ${project} (${listed}${changed.enabled === false ? ', disabled' : ''})${options.rotateSecret ? '; its new secret (shown once):' : ''}\n`);
  if (options.rotateSecret) io.stdout.write(`${String(changed.secret)}\n`);
  return ExitCode.Ok;
}
