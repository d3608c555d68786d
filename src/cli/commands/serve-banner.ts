/**
 * What `portcullis serve` tells its operator when it starts: where it
 * listens, the UI, its role (when not `all`), where the data lives, the advisory database and its age,
 * and the policy in force, as text on stderr and as the fields of the
 * `startup` log event. Secrets (database passwords in URLs) are masked.
 */
import type { RegistryConfig } from '../../server/index.js';
import { dbStatus, describeLocation } from '../../vuln/index.js';
import { plural, ADVISORY } from '../../core/index.js';

export interface StartupDescription {
  readonly fields: Record<string, unknown>;
  readonly text: string;
}

export async function describeStartup(config: RegistryConfig, url: string, now: Date = new Date()): Promise<StartupDescription> {
  const storage = config.storage.kind === 'filesystem' ? `folder ${config.root}` : `s3://${config.storage.bucket}${config.storage.prefix ? `/${config.storage.prefix}` : ''}${config.storage.endpoint ? ` at ${config.storage.endpoint}` : ''}`;
  const metadata = config.metadataUrl ? `PostgreSQL ${maskPassword(config.metadataUrl)}` : `SQLite in ${config.root}`;
  const dbFrom = config.scan && config.scan.dbFrom ? `; pulled from ${config.scan.dbFrom.reference} every ${Math.round(config.scan.dbFrom.intervalMs / 60_000)} min, signature verified` : '';
  const advisories = !config.scan ? 'scanning off (--no-scan)' : config.role === 'api' ? 'not opened: this process queues scans, workers take them (--role api)' : `${await describeDatabase(config.scan.dbPath, now)}${dbFrom}`;
  const role = config.role === 'api' ? 'api: answers clients and queues scans' : config.role === 'worker' ? 'worker: takes scans from the shared queue; answers only /healthz, /readyz and /metrics (no clients)' : undefined;
  // A worker serves no UI (server/worker-gate.ts).
  const ui = config.ui && config.role !== 'worker';
  const policy = describePolicy(config);
  const auth = config.accounts
    ? `accounts and projects, token auth at ${url}/token${config.htpasswd ? ` (+ htpasswd users from ${config.htpasswd})` : ''}`
    : config.htpasswd ? `htpasswd ${config.htpasswd}${config.anonymousPull ? ', anonymous pull allowed' : ''}` : 'none: anyone who can reach it can push and delete';
  const fields = { url, ui: ui ? `${url}/ui/` : undefined, ...(role ? { role } : {}), storage, metadata, advisories, policy, auth };
  const lines = [
    `portcullis serve: listening on ${url}`,
    ...(ui ? [`  UI:          ${url}/ui/`] : []),
    ...(role ? [`  role:        ${role}`] : []),
    `  storage:     ${storage}`,
    `  metadata:    ${metadata}`,
    `  advisories:  ${advisories}`,
    `  policy:      ${policy}`,
    `  auth:        ${auth}`,
  ];
  return { fields, text: `${lines.join('\n')}\n` };
}

async function describeDatabase(location: string, now: Date): Promise<string> {
  const path = describeLocation(location);
  const status = await dbStatus(location, { now }).catch(() => undefined);
  if (!status?.exists || status.advisories === 0) return `none yet at ${path}: images wait queued until "portcullis db update" writes it`;
  if (!status.lastUpdate) return `${path} (${plural(status.advisories, ADVISORY)})`;
  const hours = Math.max(0, Math.round((now.getTime() - Date.parse(status.lastUpdate)) / 3_600_000));
  const age = hours < 48 ? `${hours} h ago` : `${plural(Math.round(hours / 24), 'day')} ago`;
  return `${path} (${plural(status.advisories, ADVISORY)}, updated ${status.lastUpdate}, ${age}${status.stale ? ': stale, run "portcullis db update"' : ''})`;
}

function describePolicy(config: RegistryConfig): string {
  const rules: string[] = [];
  if (config.denySeverity) {
    rules.push(`refuse images with ${config.denySeverity} or worse findings`);
    rules.push(config.allowUnscanned ? 'serve images not scanned yet (--allow-unscanned); refuse failed or partial scans' : 'refuse images without a complete scan');
  }
  if (config.requireSignature) rules.push(`require a trusted signature${config.requireSignature.policy ? ' (policy file)' : ''}`);
  return rules.length === 0 ? 'none: every image is served' : rules.join('; ');
}

function maskPassword(url: string): string {
  return url.replace(/(\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}
