/**
 * Builds the registry app over temporary stores for `inject` tests, and pushes
 * small images through the API itself, so each test starts from what a client
 * would have done.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Digest } from '../../../src/core/digest.js';
import { buildApp, type BuildOptions } from '../../../src/server/app.js';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import type { RegistryServices } from '../../../src/server/services.js';
import { FilesystemBlobStore } from '../../../src/server/storage/filesystem.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

export const digestOf = (data: Buffer | string): Digest => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface TestRegistry {
  app: FastifyInstance;
  services: RegistryServices;
  root: string;
  close(): Promise<void>;
}

export async function makeRegistry(extra: Partial<RegistryServices> = {}, options: BuildOptions = {}): Promise<TestRegistry> {
  const root = await mkdtemp(join(tmpdir(), 'portcullis-api-'));
  const services: RegistryServices = {
    blobs: new FilesystemBlobStore(join(root, 'storage')),
    metadata: new SqliteMetadataStore(join(root, 'metadata.db')),
    ...extra,
  };
  const app = buildApp(services, options);
  await app.ready();
  return {
    app,
    services,
    root,
    close: async () => {
      await app.close();
      await services.metadata.close();
      await services.blobs.close();
    },
  };
}

export function errorCode(response: LightMyRequestResponse): string | undefined {
  const body = JSON.parse(response.body) as { errors?: Array<{ code?: string; message?: string }> };
  assert.ok(Array.isArray(body.errors) && body.errors.length === 1, `error body: ${response.body}`);
  assert.equal(typeof body.errors[0]?.message, 'string');
  return body.errors[0]?.code;
}

/** Monolithic push of one blob; returns its digest. */
export async function pushBlob(app: FastifyInstance, name: string, data: Buffer | string, headers: Record<string, string> = {}): Promise<Digest> {
  const digest = digestOf(data);
  const response = await app.inject({ method: 'POST', url: `/v2/${name}/blobs/uploads/?digest=${digest}`, payload: Buffer.from(data), headers: { 'content-type': 'application/octet-stream', ...headers } });
  assert.equal(response.statusCode, 201, response.body);
  return digest;
}

export interface PushedImage {
  digest: Digest;
  bytes: Buffer;
  config: Digest;
  layers: Digest[];
  manifest: Record<string, unknown>;
}

export function imageManifest(config: { digest: Digest; size: number }, layers: Array<{ digest: Digest; size: number }>, extra: Record<string, unknown> = {}, mediaType = OCI_MANIFEST): Record<string, unknown> {
  const docker = mediaType === DOCKER_MANIFEST;
  return {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : OCI_CONFIG, ...config },
    layers: layers.map((l) => ({ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
    ...extra,
  };
}

/** Pushes a config and layers as blobs, then the manifest under `reference`. */
export async function pushImage(app: FastifyInstance, name: string, reference: string, options: { seed?: string; extra?: Record<string, unknown>; mediaType?: string; headers?: Record<string, string> } = {}): Promise<PushedImage> {
  const seed = options.seed ?? reference;
  const configBytes = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed });
  const layerBytes = [`layer one of ${seed}`, `layer two of ${seed}`];
  const config = await pushBlob(app, name, configBytes, options.headers);
  const layers: Digest[] = [];
  for (const l of layerBytes) layers.push(await pushBlob(app, name, l, options.headers));
  const manifest = imageManifest(
    { digest: config, size: Buffer.byteLength(configBytes) },
    layers.map((digest, i) => ({ digest, size: Buffer.byteLength(layerBytes[i] ?? '') })),
    options.extra,
    options.mediaType,
  );
  const bytes = Buffer.from(JSON.stringify(manifest));
  const response = await putManifest(app, name, reference, bytes, options.mediaType ?? OCI_MANIFEST, options.headers);
  assert.equal(response.statusCode, 201, response.body);
  return { digest: digestOf(bytes), bytes, config, layers, manifest };
}

export function putManifest(app: FastifyInstance, name: string, reference: string, bytes: Buffer, contentType: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'PUT', url: `/v2/${name}/manifests/${reference}`, payload: bytes, headers: { 'content-type': contentType, ...headers } });
}
