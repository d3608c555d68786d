/**
 * The PostgreSQL metadata store against a real PostgreSQL 15 (a throwaway
 * cluster from test/support/postgres.ts): the shared contract — in a database
 * whose default collation is ICU en-US, so byte order must come from the
 * schema — then what only many processes sharing one database bring: startup
 * migrations racing, and writes racing from separate connection pools.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Digest } from '../../../src/core/digest.js';
import { ServeError } from '../../../src/server/errors.js';
import type { ManifestRecord } from '../../../src/server/metadata/store.js';
import { PostgresMetadataStore } from '../../../src/server/metadata/postgres.js';
import { SCHEMA_VERSION } from '../../../src/server/metadata/postgres-schema.js';
import { startPostgres, type PostgresPeer } from '../../support/postgres.js';
import { metadataStoreContract } from './contract.js';
import { PostgresIdentityStore } from '../../../src/server/metadata/identity-postgres.js';
import { identityStoreContract } from './identity-contract.js';

let peer: PostgresPeer;
let icuDatabase: string;

before(async () => {
  peer = await startPostgres();
  icuDatabase = await peer.createDatabase({ icuLocale: 'en-US' });
});

after(async () => {
  await peer?.stop();
});

const d = (seed: string): Digest => `sha256:${createHash('sha256').update(seed).digest('hex')}`;
const schemaName = (): string => `t_${randomBytes(5).toString('hex')}`;

async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

function manifest(repository: string, seed: string, pushedAt: string): ManifestRecord {
  return {
    repository,
    digest: d(seed),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 1234,
    artifactType: 'application/vnd.oci.image.config.v1+json',
    references: [d(`${seed}-config`), d('shared-base-layer'), d(`${seed}-layer`)],
    pushedAt,
  };
}

metadataStoreContract('postgres (ICU en-US database, own schema per test)', async () =>
  PostgresMetadataStore.open({ connectionString: icuDatabase, schema: schemaName() }),
);

identityStoreContract('postgres (ICU en-US database, own schema per test)', async () => {
  const schema = schemaName();
  // The content store first, as `serve` opens them: the identity tables join its schema.
  await (await PostgresMetadataStore.open({ connectionString: icuDatabase, schema })).close();
  return PostgresIdentityStore.open({ connectionString: icuDatabase, schema });
});

test('postgres identity: eight processes opening at once migrate the identity tables once', async () => {
  const schema = schemaName();
  const stores = await Promise.all(Array.from({ length: 8 }, () => PostgresIdentityStore.open({ connectionString: icuDatabase, schema })));
  const rows = await sql<{ version: number }>(icuDatabase, `SELECT version FROM ${schema}.identity_migrations ORDER BY version`);
  assert.deepEqual(rows.map((r) => r.version), [1, 2, 3]);
  assert.equal(await stores[0]!.createProject({ name: 'team', public: false, createdAt: '2026-01-01T00:00:00.000Z' }), true);
  assert.equal((await stores[7]!.getProject('team'))?.name, 'team', 'every process sees the same rows');
  await Promise.all(stores.map((s) => s.close()));
});

describe('PostgreSQL metadata store specifics', () => {
  test('the contract database really sorts naturally by default, so byte order comes from COLLATE "C"', async () => {
    const [row] = await sql<{ natural: boolean }>(icuDatabase, `SELECT 'a' < 'B' AS natural`);
    assert.equal(row?.natural, true);
  });

  test('several stores opening one empty database at once migrate it exactly once', async () => {
    const url = await peer.createDatabase();
    const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresMetadataStore.open({ connectionString: url })));
    try {
      assert.deepEqual(
        stores.map((s) => s.migrationsApplied).sort(),
        [0, 0, 0, 0, 0, SCHEMA_VERSION],
      );
      const rows = await sql<{ version: number }>(url, 'SELECT version FROM portcullis_registry.schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
      await stores[0]?.linkBlob('app', d('x'));
      for (const store of stores) assert.equal(await store.isBlobLinked('app', d('x')), true);
      const again = await PostgresMetadataStore.open({ connectionString: url });
      assert.equal(again.migrationsApplied, 0);
      await again.close();
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  test('a schema from a newer portcullis is refused with CONFIG_INVALID', async () => {
    const schema = schemaName();
    const store = await PostgresMetadataStore.open({ connectionString: icuDatabase, schema });
    await store.close();
    await sql(icuDatabase, `INSERT INTO ${schema}.schema_migrations (version) VALUES ($1)`, [SCHEMA_VERSION + 1]);
    await assert.rejects(PostgresMetadataStore.open({ connectionString: icuDatabase, schema }), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID');
  });

  test('concurrent tag updates from two connection pools end consistent', async () => {
    const schema = schemaName();
    const [a, b] = await Promise.all([
      PostgresMetadataStore.open({ connectionString: icuDatabase, schema }),
      PostgresMetadataStore.open({ connectionString: icuDatabase, schema }),
    ]);
    try {
      const pushes: Promise<void>[] = [];
      const pushed = new Map<Digest, ManifestRecord>();
      for (let i = 0; i < 40; i++) {
        const store = i % 2 === 0 ? a : b;
        const record = manifest('app', `m${i % 10}`, `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`);
        pushed.set(record.digest, record);
        // The same manifests pushed again and again from both pools, under the same tag and their own.
        pushes.push(store.putManifest(record, 'latest'), store.putManifest(record, `v${i % 10}`));
        if (i % 7 === 6) pushes.push(store.deleteManifest('app', d(`m${(i + 3) % 10}`)).then(() => undefined));
      }
      await Promise.all(pushes);
      const tags = await a.tagsOf('app');
      for (const tag of tags) {
        const target = await b.getManifest('app', tag.digest);
        assert.ok(target, `tag ${tag.tag} points at a stored manifest`);
        assert.deepEqual(target.references, pushed.get(tag.digest)?.references, 'references written once, in order');
      }
      assert.equal(new Set(tags.map((t) => t.tag)).size, tags.length);
      assert.equal(await a.resolveTag('app', 'latest'), await b.resolveTag('app', 'latest'));
      const [summary] = await b.repositorySummaries();
      assert.equal(summary?.tags, tags.length);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('linking and unlinking racing on one repository never leave a link without its repository', async () => {
    const schema = schemaName();
    const [a, b] = await Promise.all([
      PostgresMetadataStore.open({ connectionString: icuDatabase, schema }),
      PostgresMetadataStore.open({ connectionString: icuDatabase, schema }),
    ]);
    try {
      for (let round = 0; round < 15; round++) {
        const repo = `race/${round}`;
        await a.linkBlob(repo, d('churn'));
        await Promise.all([a.unlinkBlob(repo, d('churn')), b.linkBlob(repo, d(`stay-${round}`))]);
        assert.equal(await a.repositoryExists(repo), true, repo);
        assert.equal(await b.isBlobLinked(repo, d(`stay-${round}`)), true);
      }
      assert.equal((await a.listRepositories()).length, 15);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('an unreachable server is CONFIG_INVALID and the message carries no password', async () => {
    const url = new URL(peer.url);
    url.password = 'sekrit-password';
    url.port = '1';
    await assert.rejects(PostgresMetadataStore.open({ connectionString: url.toString() }), (e: unknown) => {
      assert.ok(e instanceof ServeError && e.code === 'CONFIG_INVALID', String(e));
      assert.ok(!e.message.includes('sekrit'));
      return true;
    });
    await assert.rejects(PostgresMetadataStore.open({ connectionString: peer.url, schema: 'Bad-Name' }), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID');
  });
});
