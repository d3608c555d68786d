/**
 * What the MetadataStore contract's area files (contract-*.ts) share: digests
 * from seeds, a manifest record, ISO times a minute apart, an error-code
 * matcher, and a store opened and closed around each test.
 */
import { createHash } from 'node:crypto';
import type { Digest } from '../../../src/core/digest.js';
import { ServeError } from '../../../src/server/errors.js';
import type { ManifestRecord, MetadataStore } from '../../../src/server/metadata/store.js';

/** Opens a new, empty store of the implementation under test. */
export type MakeStore = () => Promise<MetadataStore>;

export const d = (seed: string): Digest => `sha256:${createHash('sha256').update(seed).digest('hex')}`;
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const code = (expected: string) => (error: unknown) => error instanceof ServeError && error.code === expected;
/** Minutes after a fixed start, as ISO times. */
export const at = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

export function manifest(repository: string, seed: string, extra: Partial<ManifestRecord> = {}): ManifestRecord {
  return {
    repository,
    digest: d(seed),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 100 + seed.length,
    artifactType: OCI_CONFIG,
    references: [d(`${seed}-config`), d(`${seed}-layer`)],
    pushedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

export async function withStore(makeStore: MakeStore, body: (store: MetadataStore) => Promise<void>): Promise<void> {
  const store = await makeStore();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}
