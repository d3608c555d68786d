import { signImage, type SignLayout } from '../../engine/trust/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson, type OutputStreams } from '../output.js';
import { parseFormat } from './shared.js';
import { publicKeyBeside, signingKey } from './signing-key.js';
import type { PassphraseFlags } from './trust-shared.js';

export interface SignCommandOptions extends RegistryFlags, PassphraseFlags {
  key?: string;
  annotation?: string[];
  layout?: string;
  format?: string;
  /** Also publish the tag to Notary v1 (sign-notary.ts). */
  notary?: boolean;
  notaryServer?: string;
}

export function parseAnnotations(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--annotation takes KEY=VALUE, not "${v}"`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export async function sign(image: string, options: SignCommandOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, ['text', 'json'] as const, 'text');
  const layout = parseFormat(options.layout, ['tag', 'bundle', 'both'] as const, 'both') as SignLayout;
  const annotations = parseAnnotations(options.annotation);
  if (options.notary || options.notaryServer !== undefined) {
    const { signWithNotary } = await import('./sign-notary.js');
    return signWithNotary(image, options, { format, layout, ...(annotations ? { annotations } : {}) }, io);
  }
  const { key, file } = await signingKey(options.key, options, io);
  const result = await signImage(image, { key, context: systemContext(options, io), layout, ...(annotations ? { annotations } : {}) });
  if (format === 'json') writeJson(io.stdout, result);
  else {
    io.stderr.write(`Signed ${result.repository}@${result.digest} with key ${result.keyId.slice(0, 12)}${file ? ` from ${file}` : ''} (${result.pushed.map((p) => p.layout).join(' + ')} layout)\n`);
    if (file) {
      // A key from a file is not in the trust store: verify needs its public half.
      const pub = publicKeyBeside(file);
      io.stderr.write(`Verify with: portcullis verify ${result.repository}@${result.digest} --key ${pub ?? 'PUBLIC_KEY.pub'}\n`);
    }
    io.stdout.write(`${result.digest}\n`);
  }
  return ExitCode.Ok;
}
