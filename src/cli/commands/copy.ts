import { copyImage, type CopyResult } from '../../image/copy.js';
import { openDestination, openSource } from '../../engine/open.js';
import { parseBooleanFlag, systemContext, type RegistryFlags } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { TransferProgress, writeJson, type OutputStreams } from '../output.js';
import { parseFormat } from './shared.js';
import { enforceContentTrust } from '../../engine/trust.js';
import { contentTrustEnabled, loadPolicy, openStore, type ContentTrustFlags } from './trust-shared.js';

export interface CopyCommandOptions extends RegistryFlags, ContentTrustFlags {
  srcTlsVerify?: string | boolean;
  destTlsVerify?: string | boolean;
  srcCertDir?: string;
  destCertDir?: string;
  srcCreds?: string;
  destCreds?: string;
  all?: boolean;
  format?: string;
  quiet?: boolean;
}

export async function copy(src: string, dest: string, options: CopyCommandOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, ['text', 'json'] as const, 'text');
  const side = (prefix: 'src' | 'dest'): RegistryFlags => {
    const tls = parseBooleanFlag(prefix === 'src' ? options.srcTlsVerify : options.destTlsVerify, `${prefix}-tls-verify`);
    const certDir = prefix === 'src' ? options.srcCertDir : options.destCertDir;
    const creds = prefix === 'src' ? options.srcCreds : options.destCreds;
    return {
      ...options,
      ...(tls !== undefined ? { tlsVerify: tls } : {}),
      ...(certDir ? { certDir } : {}),
      ...(creds ? { creds } : {}),
    };
  };
  const srcContext = systemContext(side('src'), io.env);
  const destContext = systemContext(side('dest'), io.env);
  const progress = new TransferProgress(io.stderr, !options.quiet);
  srcContext.onProgress = progress.onProgress;

  // Content trust: verify before any layer moves, then copy exactly the verified digest.
  const trustOn = contentTrustEnabled(options, io);
  const loaded = options.disableContentTrust ? { keys: [] } : await loadPolicy(options.policy, io.env);
  const trusted = options.disableContentTrust
    ? undefined
    : await enforceContentTrust(src, {
        context: srcContext,
        contentTrust: trustOn,
        store: openStore(io.env),
        ...(loaded.policy ? { policy: loaded.policy } : {}),
        policyKeys: loaded.keys,
      });
  for (const warning of trusted?.warnings ?? []) io.stderr.write(`portcullis: warning: ${warning}\n`);
  const source = await openSource(trusted?.source ?? src, srcContext, { cache: false });
  let result: CopyResult;
  try {
    const destination = await openDestination(dest, destContext);
    try {
      result = await copyImage(source, destination, {
        all: options.all === true,
        ...(srcContext.platform ? { platform: srcContext.platform } : {}),
        ...(trusted ? { beforeCopy: trusted.beforeCopy } : {}),
      });
    } finally {
      await destination.close();
    }
  } finally {
    progress.stop();
    await source.close();
  }
  if (format === 'json') writeJson(io.stdout, { source: src, destination: dest, ...(trusted ? { verifiedDigest: trusted.digest } : {}), ...result });
  else if (!options.quiet) {
    io.stderr.write(
      `Copied ${src} to ${dest}: ${result.blobsCopied} blob(s) copied, ${result.blobsSkipped} already present, ${result.blobsMounted} mounted\n`,
    );
    io.stdout.write(`${result.digest}\n`);
  }
  return ExitCode.Ok;
}
