/**
 * Sign and verify latency against a loopback docker-registry: 200 distinct
 * images (same blobs, one annotation each), each signed in both layouts
 * (cosign tag + Sigstore bundle referrer), then verified twice in one trust
 * session (pooled registry client, remembered missing referrers API, cached
 * trust-store answers) — the second (warm) pass is the figure — and once more
 * without a session, one client per verification as the one-shot CLI does it
 * (/v2/ ping and referrers probe included). Prints p50/p99.
 * Run: npx tsx bench/trust.ts   (BENCH_IMAGES=200)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RegistryClient } from '../src/image/transports/docker/client.js';
import { KeyStore } from '../src/trust/keys/store.js';
import { openTrustSession, signImage, verifyImage, type TrustSession } from '../src/engine/trust/index.js';
import { peerImages, startRegistry } from '../test/support/peers.js';
import { skopeoCopy } from '../test/support/skopeo.js';

const N = Number(process.env.BENCH_IMAGES ?? 200);

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const { tinyOci } = await peerImages('tiny');
  const registry = await startRegistry();
  try {
    const context = { tlsVerify: false };
    const store = new KeyStore({ home: mkdtempSync(join(tmpdir(), 'bench-trust-')), scrypt: { N: 16384, r: 8, p: 1 } });
    await store.generate({ role: 'root', passphrase: 'r' });
    await store.generate({ role: 'repository', passphrase: 'p', repositories: ['**'], rootPassphrase: 'r' });
    const key = await store.unlock('repository', 'p');
    await skopeoCopy(tinyOci, `docker://${registry.host}/bench/base:1`);
    const client = await RegistryClient.create({ registry: registry.host, tlsVerify: false });
    const base = await client.getManifest('bench/base', '1');
    const refs: string[] = [];
    for (let i = 0; i < N; i++) {
      const json = JSON.parse(base.bytes.toString()) as Record<string, unknown>;
      json.annotations = { 'bench.n': String(i) };
      await client.putManifest('bench/base', `i${i}`, { bytes: Buffer.from(JSON.stringify(json)), mediaType: base.mediaType });
      refs.push(`${registry.host}/bench/base:i${i}`);
    }
    await client.close();
    const sign: number[] = [];
    for (const ref of refs) {
      const t = performance.now();
      await signImage(ref, { key, context });
      sign.push(performance.now() - t);
    }
    const verifyPass = async (session: TrustSession | undefined): Promise<number[]> => {
      const out: number[] = [];
      for (const ref of refs) {
        const t = performance.now();
        const report = await verifyImage(ref, { context, store, ...(session ? { session } : {}) });
        out.push(performance.now() - t);
        if (!report.verified) throw new Error(`${ref} did not verify`);
      }
      return out;
    };
    const session = openTrustSession();
    let cold: number[];
    let verify: number[];
    try {
      cold = await verifyPass(session);
      verify = await verifyPass(session);
    } finally {
      await session.close();
    }
    const oneShot = await verifyPass(undefined);
    const f = (v: number): string => `${v.toFixed(1)} ms`;
    console.log(`images: ${N}`);
    console.log(`sign (both layouts):   p50 ${f(pct(sign, 50))}  p99 ${f(pct(sign, 99))}`);
    console.log(`verify, session, 1st:  p50 ${f(pct(cold, 50))}  p99 ${f(pct(cold, 99))}  (first: ${f(cold[0] ?? 0)})`);
    console.log(`verify (both, warm):   p50 ${f(pct(verify, 50))}  p99 ${f(pct(verify, 99))}  target p50 < 20 ms`);
    console.log(`verify, no session:    p50 ${f(pct(oneShot, 50))}  p99 ${f(pct(oneShot, 99))}  (a client per verification, as the CLI)`);
  } finally {
    await registry.stop();
  }
}

await main();
