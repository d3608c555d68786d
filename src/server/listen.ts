/**
 * Listens with the app `buildApp` makes: plain HTTP, or HTTPS when given a
 * certificate. Kept apart from app.ts so that everything testable about the
 * API needs no socket; the `serve` command and real-client tests use this.
 */
import type { AddressInfo } from 'node:net';
import { buildApp, type BuildOptions } from './app.js';
import type { RegistryServices } from './services.js';

export interface StartOptions extends Omit<BuildOptions, 'tls'> {
  readonly services: RegistryServices;
  /** Default 127.0.0.1; use 0.0.0.0 or :: to serve other machines. */
  readonly host?: string;
  /** Default 5000; 0 picks a free port. */
  readonly port?: number;
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:5000` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { services, host = '127.0.0.1', port = 5000, tls, ...build } = options;
  const app = buildApp(services, { ...build, ...(tls ? { tls } : {}) });
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const shown = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `${tls ? 'https' : 'http'}://${shown}:${address.port}`,
    port: address.port,
    close: async () => {
      await app.close();
    },
  };
}
