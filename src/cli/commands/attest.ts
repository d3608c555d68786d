import { CoreError, readRegularFile, UserFileError, isRecord } from '../../core/index.js';
import { attestImage, TrustError, type SignLayout } from '../../engine/trust/index.js';
import { PredicateType } from '../../trust/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson, type OutputStreams } from '../output.js';
import { parseFormat } from './shared.js';
import { signingKey } from './signing-key.js';
import type { PassphraseFlags } from './trust-shared.js';

export interface AttestCommandOptions extends RegistryFlags, PassphraseFlags {
  type?: string;
  predicate?: string;
  predicateType?: string;
  key?: string;
  layout?: string;
  format?: string;
}

const MAX_PREDICATE_BYTES = 16 * 1024 * 1024;

/**
 * The predicate type and predicate for `--type`: an SBOM goes in as it is
 * (CycloneDX or SPDX by its content), a scan result is wrapped in cosign's
 * vuln predicate (unless it already is one), custom data in cosign's
 * `{Data, Timestamp}`.
 */
export function buildPredicate(type: string, content: unknown, predicateType: string | undefined, now: Date): { predicateType: string; predicate: unknown } {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  switch (type) {
    case 'sbom': {
      if (isRecord(content) && content.bomFormat === 'CycloneDX') return { predicateType: predicateType ?? PredicateType.CycloneDX, predicate: content };
      if (isRecord(content) && typeof content.spdxVersion === 'string') return { predicateType: predicateType ?? PredicateType.Spdx, predicate: content };
      throw new TrustError('PREDICATE_INVALID', '--type sbom needs a CycloneDX or SPDX JSON document');
    }
    case 'vuln': {
      if (isRecord(content) && isRecord(content.scanner) && isRecord(content.metadata)) return { predicateType: predicateType ?? PredicateType.CosignVuln, predicate: content };
      return {
        predicateType: predicateType ?? PredicateType.CosignVuln,
        predicate: {
          invocation: { parameters: null, uri: '', event_id: '', 'builder.id': '' },
          scanner: { uri: 'https://portcullis.dev/scan', version: '', db: { uri: '', version: '' }, result: content },
          metadata: { scanStartedOn: stamp, scanFinishedOn: stamp },
        },
      };
    }
    case 'custom':
      return { predicateType: predicateType ?? PredicateType.CosignCustom, predicate: predicateType ? content : { Data: typeof content === 'string' ? content : JSON.stringify(content), Timestamp: stamp } };
    default:
      throw new UsageError(`--type takes sbom, vuln or custom, not "${type}"`);
  }
}

export async function attest(image: string, options: AttestCommandOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, ['text', 'json'] as const, 'text');
  const layout = parseFormat(options.layout, ['tag', 'bundle', 'both'] as const, 'both') as SignLayout;
  if (!options.type) throw new UsageError('attest needs --type sbom|vuln|custom');
  if (!options.predicate) throw new UsageError('attest needs --predicate FILE');
  if (options.predicateType !== undefined && !/^https?:\/\/\S+$/.test(options.predicateType)) throw new UsageError('--predicate-type takes a URI');
  let text: string;
  try {
    const bytes = await readRegularFile(options.predicate, { what: `the predicate file ${options.predicate}`, maxBytes: MAX_PREDICATE_BYTES });
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof UsageError || error instanceof UserFileError) throw error;
    if (error instanceof CoreError && error.code === 'TOO_LARGE') throw new UsageError(`the predicate file is over ${MAX_PREDICATE_BYTES} bytes`);
    throw new UsageError(`cannot read the predicate file ${options.predicate}`);
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch {
    if (options.type !== 'custom') throw new TrustError('PREDICATE_INVALID', `the predicate file ${options.predicate} is not JSON`);
    content = text;
  }
  const { predicateType, predicate } = buildPredicate(options.type, content, options.predicateType, new Date());
  const { key } = await signingKey(options.key, options, io);
  const result = await attestImage(image, { key, predicateType, predicate, layout, context: systemContext(options, io) });
  if (format === 'json') writeJson(io.stdout, result);
  else {
    io.stderr.write(`Attested ${result.repository}@${result.digest}: ${predicateType}, key ${result.keyId.slice(0, 12)}\n`);
    io.stdout.write(`${result.digest}\n`);
  }
  return ExitCode.Ok;
}
