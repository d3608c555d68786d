/**
 * Starts `portcullis serve`'s app on 127.0.0.1 for tests: a temporary root
 * with filesystem blobs and SQLite metadata, a free port picked by the OS,
 * and optional extra services (pull policy, Notary, auth, events, limits) and
 * plugins. Shared by the registry tests of every engineer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryPlugin } from '../../src/server/app.js';
import type { RegistryLog } from '../../src/server/log.js';
import { SqliteMetadataStore } from '../../src/server/metadata/sqlite.js';
import type { RegistryServices } from '../../src/server/services.js';
import { startServer } from '../../src/server/listen.js';
import { FilesystemBlobStore } from '../../src/server/storage/filesystem.js';

export interface PortcullisRegistryOptions extends Partial<Omit<RegistryServices, 'blobs' | 'metadata'>> {
  readonly plugins?: readonly RegistryPlugin[];
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Use this root instead of a fresh temporary folder (kept on close). */
  readonly root?: string;
  /** Replace the default stores (e.g. an S3 or PostgreSQL one under test). */
  readonly blobs?: RegistryServices['blobs'];
  readonly metadata?: RegistryServices['metadata'];
  /** The operator log (silent by default); `captureLog` in ./registry-log.ts collects its lines. */
  readonly log?: RegistryLog;
}

export interface PortcullisRegistry {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>`, for `docker://HOST/name:tag` */
  readonly host: string;
  readonly root: string;
  readonly services: RegistryServices;
  close(): Promise<void>;
}

export async function startPortcullisRegistry(options: PortcullisRegistryOptions = {}): Promise<PortcullisRegistry> {
  const { plugins, tls, root: givenRoot, blobs, metadata, log, ...extra } = options;
  const root = givenRoot ?? (await mkdtemp(join(tmpdir(), 'portcullis-serve-')));
  const services: RegistryServices = {
    blobs: blobs ?? new FilesystemBlobStore(join(root, 'storage')),
    metadata: metadata ?? new SqliteMetadataStore(join(root, 'metadata.db')),
    ...extra,
  };
  const server = await startServer({ services, host: '127.0.0.1', port: 0, ...(plugins ? { plugins } : {}), ...(tls ? { tls } : {}), ...(log ? { log } : {}) });
  return {
    url: server.url,
    host: new URL(server.url).host,
    root,
    services,
    close: async () => {
      await server.close();
      await services.blobs.close();
      await services.metadata.close();
      if (!givenRoot) await rm(root, { recursive: true, force: true });
    },
  };
}
