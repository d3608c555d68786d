import { copyImage, type CopyResult, type SystemContext } from '../../image/index.js';
import { openDestination, openSource } from '../../engine/index.js';
import { defaultTransports, formatReference } from '../../image/all.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { parseBooleanFlag } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import { TransferProgress, writeJson, type OutputStreams } from '../output.js';
import { parseFormat } from './shared.js';
import { trustMayApply } from '../trust-gate.js';
import type { ContentTrustFlags } from './trust-shared.js';
import { plural } from '../../core/index.js';

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
  const srcContext = systemContext(side('src'), io);
  const destContext = systemContext(side('dest'), io);
  const progress = new TransferProgress(io.stderr, !options.quiet);
  srcContext.onProgress = progress.onProgress;

  // Content trust: verify before any layer moves, then copy exactly the verified digest. The source is
  // resolved once: a bare `host/repo:tag` is a registry image, checked as docker:// is, and the name
  // checked is the name opened.
  const mayApply = trustMayApply(options, io.env);
  const resolvedSrc = mayApply ? formatReference(await defaultTransports().resolve(src)) : src;
  const trusted = mayApply ? await verifyFirst(resolvedSrc, options, srcContext, io) : undefined;
  for (const warning of trusted?.warnings ?? []) io.stderr.write(`portcullis: warning: ${warning}\n`);
  const source = await openSource(trusted?.source ?? resolvedSrc, srcContext, { cache: false });
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
      `Copied ${src} to ${dest}: ${plural(result.blobsCopied, 'blob')} copied, ${result.blobsSkipped} already present, ${result.blobsMounted} mounted\n`,
    );
    io.stdout.write(`${result.digest}\n`);
  }
  return ExitCode.Ok;
}

/** Content trust and policy, loaded only when they may apply (see trust-gate.ts). */
async function verifyFirst(src: string, options: CopyCommandOptions, context: SystemContext, io: OutputStreams) {
  const [{ enforceContentTrust }, { contentTrustEnabled, loadPolicy, notarySettings, openKeyStoreFromEnv }] = await Promise.all([
    import('../../engine/trust/index.js'),
    import('./trust-shared.js'),
  ]);
  const trustOn = contentTrustEnabled(options, io);
  if (options.disableContentTrust) return undefined;
  const loaded = await loadPolicy(options.policy, io.env);
  return enforceContentTrust(src, {
    context,
    contentTrust: trustOn,
    store: openKeyStoreFromEnv(io.env),
    ...(loaded.policy ? { policy: loaded.policy } : {}),
    policyKeys: loaded.keys,
    notary: notarySettings(options.notaryServer, io.env),
  });
}
