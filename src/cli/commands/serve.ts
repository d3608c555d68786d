/**
 * `portcullis serve`: resolves the settings (flags, environment, --config
 * file, defaults: serve-config.ts), prints them (--print-config) or starts
 * the registry, and runs until SIGINT/SIGTERM. SIGHUP reloads the
 * configuration (src/server/reload.ts).
 */
import { printSettings } from '../../server/config-file/index.js';
import type { RegistryConfig } from '../../server/index.js';
import { UsageError } from '../flags.js';
import type { OutputStreams } from '../output.js';
import { describeStartup } from './serve-banner.js';
import { resolveServeSettings, toRegistryConfig, type ServeOptions } from './serve-config.js';

export { buildConfig, type ServeOptions } from './serve-config.js';

export async function serve(options: ServeOptions, io: OutputStreams): Promise<number> {
  const demo = options.demo ? await import('./serve-demo.js') : undefined;
  const demoData = demo && options.root === undefined ? await demo.demoRoot() : undefined;
  const effective: ServeOptions = {
    ...options,
    ...(demoData ? { root: demoData.root } : {}),
    ...(demo && options.addr === undefined ? { addr: await demo.demoAddr() } : {}),
  };
  try {
    const resolved = await resolveServeSettings(effective, io.env);
    if (options.printConfig) {
      const config = await toRegistryConfig(resolved, io);
      io.stdout.write(printSettings(resolved, printHeader(effective)));
      config.log.flush();
      return 0;
    }
    const started = await toRegistryConfig(resolved, io);
    const config: RegistryConfig = { ...started, reread: async () => toRegistryConfig(await resolveServeSettings(effective, io.env), io, started.log) };
    const { startRegistry } = await import('../../server/index.js');
    let registry;
    try {
      registry = await startRegistry(config);
    } catch (error) {
      throw listenError(error, effective.addr ?? '127.0.0.1:5000') ?? error;
    }
    const banner = await describeStartup(config, registry.url);
    config.log.info({ event: 'startup', ...banner.fields }, `listening on ${registry.url}`);
    io.stderr.write(banner.text);
    // Shown once, here only: never in the log.
    if (registry.admin?.generated) {
      io.stderr.write(`portcullis serve: created the administrator "${registry.admin.user}" with the password\n\n    ${registry.admin.password}\n\nIt is not shown again: sign in (portcullis login) and change it (portcullis registry user passwd ${registry.admin.user}).\n`);
    } else if (registry.admin) {
      io.stderr.write(`portcullis serve: created the administrator "${registry.admin.user}" with the password from PORTCULLIS_ADMIN_PASSWORD\n`);
    }
    if (demo) {
      const outcome = await demo.loadDemo(registry);
      io.stderr.write(`${outcome.lines.join('\n')}\n`);
    }
    options.onListening?.(registry.url);
    const reload = (): void => void registry.reload();
    process.on('SIGHUP', reload);
    try {
      await (options.stop ?? untilSignal());
    } finally {
      process.off('SIGHUP', reload);
    }
    config.log.info({ event: 'shutdown' }, 'stopping');
    io.stderr.write('portcullis serve: stopping\n');
    await registry.close();
    config.log.flush();
    return 0;
  } finally {
    await demoData?.remove();
  }
}

function printHeader(options: ServeOptions): string[] {
  return [
    'portcullis serve: the effective configuration (flag > environment > file > default); secrets are shown as ***.',
    options.config !== undefined ? `Read from ${options.config}; values set by a flag or an environment variable name it in a comment.` : 'No --config file; values set by a flag or an environment variable name it in a comment.',
  ];
}

/** A port in use or not ours to take is the caller's to fix, not a bug. */
function listenError(error: unknown, addr: string): UsageError | undefined {
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE') return new UsageError(`cannot listen on ${addr}: the address is already in use (another registry running?); stop it or choose another --addr`);
  if (code === 'EACCES') return new UsageError(`cannot listen on ${addr}: permission denied (ports below 1024 need privileges); choose a port above 1024 with --addr`);
  if (code === 'EADDRNOTAVAIL') return new UsageError(`cannot listen on ${addr}: no such local address; use 127.0.0.1, 0.0.0.0 or an address of this machine`);
  return undefined;
}

function untilSignal(): Promise<void> {
  return new Promise((resolveStop) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
