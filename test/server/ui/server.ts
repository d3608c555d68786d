/**
 * A listening UI server for the browser tests: a bare Fastify on 127.0.0.1
 * (an ephemeral port) with the UI plugin over a real SQLite metadata store in
 * a temp directory, filled by `seed` through the MetadataStore API. The UI
 * needs nothing else from the registry, so these tests do not wait for the
 * rest of `portcullis serve`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { SqliteMetadataStore } from '../../../src/server/metadata/sqlite.js';
import { uiPlugin } from '../../../src/server/ui/plugin.js';
import { seed } from './fixtures.js';

export interface UiServer {
  readonly base: string;
  readonly store: SqliteMetadataStore;
  close(): Promise<void>;
}

export async function startUiServer(): Promise<UiServer> {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-ui-'));
  const store = new SqliteMetadataStore(join(work, 'metadata.db'));
  await seed(store);
  const app = Fastify();
  await app.register(uiPlugin({ metadata: store }));
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    base,
    store,
    async close() {
      await app.close();
      await store.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
