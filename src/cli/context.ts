/**
 * Registry flags as skopeo users type them, turned into a SystemContext:
 * --tls-verify, --cert-dir, --creds, --authfile, --platform (and for copy the
 * --src-/--dest- variants, which win over the shared ones).
 */
import { parsePlatform, type Credentials, type SystemContext } from '../image/index.js';
import { parseByteSize, parseTimeout, positiveInt, UsageError } from './flags.js';
import { warnOnce, type OutputStreams } from './output.js';

export interface RegistryFlags {
  tlsVerify?: boolean;
  certDir?: string;
  creds?: string;
  authfile?: string;
  platform?: string;
  timeout?: string;
  retries?: string;
  /** -q: warnings are not printed either. */
  quiet?: boolean;
}

export function parseCreds(value: string): Credentials {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UsageError('--creds takes USERNAME:PASSWORD');
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/**
 * The SystemContext for these flags. With `io`, warnings from image access
 * (a loopback registry answering plain HTTP) go to its stderr, each once,
 * unless -q.
 */
export function systemContext(flags: RegistryFlags, io: Pick<OutputStreams, 'env'> & Partial<Pick<OutputStreams, 'stderr'>> = { env: process.env }): SystemContext {
  const env = io.env;
  const context: SystemContext = { env };
  if (io.stderr && flags.quiet !== true) context.onWarning = warnOnce(io.stderr);
  if (flags.tlsVerify !== undefined) context.tlsVerify = flags.tlsVerify;
  if (flags.certDir) context.certDir = flags.certDir;
  if (flags.creds) context.credentials = parseCreds(flags.creds);
  if (flags.authfile) context.authFile = flags.authfile;
  if (flags.platform) context.platform = parsePlatform(flags.platform);
  if (flags.timeout !== undefined) context.timeoutMs = parseTimeout(flags.timeout);
  if (flags.retries) context.retries = positiveInt(flags.retries, 'retries');
  if (env.PORTCULLIS_CACHE_DIR) context.cacheDir = env.PORTCULLIS_CACHE_DIR;
  if (env.PORTCULLIS_CACHE_MAX_SIZE) context.cacheMaxBytes = parseByteSize(env.PORTCULLIS_CACHE_MAX_SIZE, 'PORTCULLIS_CACHE_MAX_SIZE');
  return context;
}
