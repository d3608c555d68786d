/** The real skopeo CLI as an oracle: what it reports about the same image. */
import { runCommand } from './peers.js';

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
