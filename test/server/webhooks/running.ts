/**
 * A registry started as `portcullis serve --config` starts it (a YAML file,
 * buildConfig, startRegistry) with accounts, scanning against a real advisory
 * database (the tiny image's npm advisories), a deny-CRITICAL policy and
 * webhooks allowed to reach loopback; and the HTTP calls tests make to it:
 * the admin API and pushes with Basic credentials over loopback.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { buildConfig } from '../../../src/cli/commands/serve.js';
import { startRegistry, type RunningRegistry } from '../../../src/server/open.js';
import { importPaths } from '../../../src/vuln/db.js';
import { tarOf } from '../../support/oci-builder.js';
import { TINY_IMAGE_ADVISORIES, writeAdvisories } from '../../support/osv.js';
import { captureLog, type CapturedLog } from '../../support/registry-log.js';

export const ADMIN_PASSWORD = 'admin-password-webhooks';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const sha256 = (data: Buffer | string): `sha256:${string}` => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export const ADMIN = basic('admin', ADMIN_PASSWORD);

export interface Running {
  readonly registry: RunningRegistry;
  readonly log: CapturedLog;
  readonly work: string;
  close(): Promise<void>;
}

export async function startRunning(extraYaml: readonly string[] = []): Promise<Running> {
  const work = await mkdtemp(join(tmpdir(), 'portcullis-webhooks-e2e-'));
  await importPaths(join(work, 'advisories.sqlite'), [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
  const config = join(work, 'portcullis.yaml');
  await writeFile(
    config,
    [
      'root: ./data',
      'listen:',
      '  addr: 127.0.0.1:0',
      'auth:',
      '  accounts: true',
      `  adminPassword: ${ADMIN_PASSWORD}`,
      'scan:',
      '  db: ./advisories.sqlite',
      '  rescanInterval: 0',
      'policy:',
      '  denySeverity: CRITICAL',
      'notary:',
      '  enabled: false',
      'webhooks:',
      '  allowedNetworks: [loopback]',
      ...extraYaml,
    ].join('\n'),
  );
  const log = captureLog('info');
  const built = await buildConfig({ config }, { stdout: new PassThrough(), stderr: new PassThrough(), env: { ...process.env, PORTCULLIS_ADMIN_PASSWORD: '' } });
  const registry = await startRegistry({ ...built, log: log.log });
  return {
    registry,
    log,
    work,
    async close() {
      await registry.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

export async function call(base: string, method: string, path: string, authorization: string | undefined, body?: unknown): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(authorization ? { authorization } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    json = {};
  }
  return { status: response.status, text, json };
}

export async function pushBlob(base: string, repository: string, bytes: Buffer, authorization = ADMIN): Promise<void> {
  const r = await fetch(`${base}/v2/${repository}/blobs/uploads/?digest=${sha256(bytes)}`, { method: 'POST', body: bytes, headers: { authorization } });
  assert.equal(r.status, 201, await r.text());
}

export async function putManifest(base: string, repository: string, reference: string, manifest: Buffer, authorization = ADMIN): Promise<void> {
  const r = await fetch(`${base}/v2/${repository}/manifests/${reference}`, { method: 'PUT', body: manifest, headers: { authorization, 'content-type': OCI_MANIFEST } });
  assert.equal(r.status, 201, await r.text());
}

export interface PushedImage {
  readonly digest: `sha256:${string}`;
  readonly layer: `sha256:${string}`;
  readonly manifest: Buffer;
}

/**
 * An image with lodash 4.17.15 and minimist 1.2.5 in its one layer (1 CRITICAL, 2 HIGH
 * with the tiny image's advisories); `broken` leaves the layer out of the config's
 * diff_ids, which the scanner refuses (a failed scan).
 */
export async function pushImage(base: string, repository: string, tag: string, options: { readonly broken?: boolean; readonly seed?: string } = {}): Promise<PushedImage> {
  const layer = await tarOf([
    { name: 'app/node_modules/lodash/package.json', body: JSON.stringify({ name: 'lodash', version: '4.17.15' }) },
    { name: 'app/node_modules/minimist/package.json', body: JSON.stringify({ name: 'minimist', version: '1.2.5' }) },
    { name: 'app/seed.txt', body: options.seed ?? repository },
  ]);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: options.broken ? [] : [sha256(layer)] } }));
  await pushBlob(base, repository, config);
  await pushBlob(base, repository, layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    }),
  );
  await putManifest(base, repository, tag, manifest);
  return { digest: sha256(manifest), layer: sha256(layer), manifest };
}

/** An accessory for `subject`: a manifest with a JSON layer, as cosign's signatures and bundles are. */
export async function pushAccessory(base: string, repository: string, reference: string, payload: string, extra: Record<string, unknown> = {}): Promise<`sha256:${string}`> {
  const empty = Buffer.from('{}');
  const layer = Buffer.from(payload);
  await pushBlob(base, repository, empty);
  await pushBlob(base, repository, layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: empty.length },
      layers: [{ mediaType: 'application/json', digest: sha256(layer), size: layer.length }],
      ...extra,
    }),
  );
  await putManifest(base, repository, reference, manifest);
  return sha256(manifest);
}
