/**
 * The UI's tags page of one big repository: N image tags, each with a cosign
 * `sha256-<hex>.sig` accessory tag and a referrer (so 3N manifests), rendered
 * through `inject` over a real SQLite store with a pull policy that serves
 * everything. Reports the median of 3 runs (after a warm-up) at N = 1,000 and
 * N = 8,000 and the time per tag at each: the per-tag figure staying flat is
 * what "linear" means here (the page once asked the store for each image's
 * accessories, a query that then scanned the repository: quadratic).
 * `npm run build && node dist/bench/ui-tags.js`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Digest } from '../src/core/digest.js';
import { SqliteMetadataStore } from '../src/server/metadata/sqlite.js';
import { uiPlugin } from '../src/server/ui/plugin.js';

const hex = (i: number): string => i.toString(16).padStart(64, '0');

async function measure(n: number): Promise<{ medianMs: number; bytes: number }> {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-ui-'));
  const store = new SqliteMetadataStore(join(work, 'registry.sqlite'));
  const at = new Date().toISOString();
  const manifest = (digest: string, extra: object = {}) => ({ repository: 'big/repo', digest: digest as Digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, references: [], pushedAt: at, ...extra });
  for (let i = 0; i < n; i++) {
    await store.putManifest(manifest(`sha256:${hex(i)}`, { artifactType: 'application/vnd.oci.image.config.v1+json' }), `v${i}`);
    await store.putManifest(manifest(`sha256:${hex(i + 1e7)}`), `sha256-${hex(i)}.sig`);
    await store.putManifest(manifest(`sha256:${hex(i + 2e7)}`, { subject: `sha256:${hex(i)}`, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }));
  }
  const app = Fastify();
  await app.register(uiPlugin({ metadata: store, policy: { check: async () => ({ allowed: true }) } }));
  const times: number[] = [];
  let bytes = 0;
  for (let run = 0; run < 4; run++) {
    const started = performance.now();
    const response = await app.inject({ method: 'GET', url: '/ui/r/big/repo' });
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
    if (run > 0) times.push(performance.now() - started);
    bytes = response.body.length;
  }
  await app.close();
  await store.close();
  rmSync(work, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  return { medianMs: times[1]!, bytes };
}

const rows: string[] = [];
for (const n of [1_000, 8_000]) {
  const { medianMs, bytes } = await measure(n);
  rows.push(`| ${n.toLocaleString('en')} | ${Math.round(medianMs)} ms | ${(medianMs / n).toFixed(3)} ms | ${(bytes / 1e6).toFixed(1)} MB |`);
}
console.log('| image tags (each with a .sig tag and a referrer) | median page time | per tag | page size |\n|---|---|---|---|');
for (const row of rows) console.log(row);
console.log(`\n${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`);
