/** The real skopeo CLI as an oracle: what it reports about the same image. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './peers.js';

/** Where skopeo remembers which registries already hold a blob (it then mounts instead of uploading). */
const SKOPEO_BLOB_INFO_CACHES = [
  '/var/lib/containers/cache/blob-info-cache-v1.boltdb',
  '/var/lib/containers/cache/blob-info-cache-v1.sqlite',
  join(process.env.HOME ?? '/root', '.local/share/containers/cache/blob-info-cache-v1.boltdb'),
  join(process.env.HOME ?? '/root', '.local/share/containers/cache/blob-info-cache-v1.sqlite'),
];

/** Makes skopeo forget where blobs went, so that its next push uploads every byte (benches compare real uploads). */
export function forgetSkopeoBlobLocations(): void {
  for (const cache of SKOPEO_BLOB_INFO_CACHES) rmSync(cache, { force: true });
}

export interface SkopeoInspect {
  Digest: string;
  Architecture: string;
  Os: string;
  Created?: string;
  Layers: string[];
  Env?: string[];
  Labels?: Record<string, string> | null;
}

const tlsArgs = (name: string): string[] => (name.startsWith('docker://') ? ['--tls-verify=false'] : []);

export async function skopeo(args: readonly string[]): Promise<string> {
  const result = await runCommand('skopeo', args);
  if (result.code !== 0) throw new Error(`skopeo ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

export async function skopeoInspect(name: string): Promise<SkopeoInspect> {
  return JSON.parse(await skopeo(['inspect', ...tlsArgs(name), name])) as SkopeoInspect;
}

export async function skopeoRaw(name: string, config = false): Promise<string> {
  return skopeo(['inspect', '--raw', ...(config ? ['--config'] : []), ...tlsArgs(name), name]);
}

export async function skopeoCopy(src: string, dest: string, extra: readonly string[] = []): Promise<void> {
  await skopeo(['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', ...extra, src, dest]);
}
