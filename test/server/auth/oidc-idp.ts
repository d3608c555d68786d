/**
 * The test identity provider (oidc-idp-worker.ts) seen from a test: start
 * it (its issuer URL is known at once, its clients once the registry's
 * redirect URI is), give it accounts, make it lie (`tamper`) or move its
 * clock, stop it. Each instance has its own RSA key; `privateJwk` lets
 * another instance sign as this one's key would not be accepted elsewhere.
 */
import { Worker } from 'node:worker_threads';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { ClientSetup, Command, Tamper } from './oidc-idp-worker.js';

export type { Tamper } from './oidc-idp-worker.js';

type Reply = { type: 'listening'; issuer: string } | { type: 'done' } | { type: 'error'; message: string };

export class TestProvider {
  private constructor(
    private readonly worker: Worker,
    readonly issuer: string,
    readonly privateJwk: JWK,
  ) {}

  static async start(): Promise<TestProvider> {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: `k-${Math.random().toString(36).slice(2, 10)}` };
    const worker = new Worker(new URL('./oidc-idp-worker.js', import.meta.url), { workerData: { jwk } });
    const first = await nextReply(worker);
    if (first.type !== 'listening') throw new Error(`the test provider did not start: ${JSON.stringify(first)}`);
    return new TestProvider(worker, first.issuer, jwk);
  }

  clients(clients: readonly ClientSetup[]): Promise<void> {
    return this.send({ type: 'start', clients });
  }

  /** Account id (the `sub`, what one types as login on the provider's page) → claims. */
  accounts(accounts: Readonly<Record<string, Readonly<Record<string, unknown>>>>): Promise<void> {
    return this.send({ type: 'accounts', accounts });
  }

  tamper(tamper: Tamper | undefined): Promise<void> {
    return this.send({ type: 'tamper', tamper });
  }

  /** While on, the provider answers its redirect back to the client as text, the callback URL unused. */
  hold(hold: boolean): Promise<void> {
    return this.send({ type: 'hold', hold });
  }

  clock(offsetSeconds: number, idTokenTtlSeconds = 3600): Promise<void> {
    return this.send({ type: 'clock', offsetSeconds, idTokenTtlSeconds });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private async send(command: Command): Promise<void> {
    const reply = nextReply(this.worker);
    this.worker.postMessage(command);
    const answer = await reply;
    if (answer.type === 'error') throw new Error(`test provider: ${answer.message}`);
  }
}

function nextReply(worker: Worker): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    worker.once('error', onError);
    worker.once('message', (message: Reply) => {
      worker.off('error', onError);
      resolve(message);
    });
  });
}
