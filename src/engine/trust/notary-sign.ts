/**
 * `sign --notary`: the tag is resolved once to a digest and size, published
 * to Notary v1 first (engine/notary/publish.ts: the GUN's root is the
 * store's root key, its targets role the repository key), and only then
 * signed in the registry's cosign layouts by that digest — so a refusal by
 * Notary (a GUN with another root, a wrong root passphrase, a hostile server
 * key) leaves nothing half-published. The repository key must be certified
 * by the root for the repository; a key file outside the store cannot be
 * checked and is refused.
 *
 * A public entry of `engine` of its own (docs/architecture.md): only
 * `sign --notary` loads it, so plain `sign` does not load the Notary client.
 */
import { formatImageRef, refName } from '../../core/index.js';
import { dockerTransport, loadTlsSettings } from '../../image/transports/docker/index.js';
import { notaryCredentials, publishTag, NotaryPublishError, type PublishTagResult } from '../notary/index.js';
import type { KeyStore } from '../../trust/index.js';
import { registryRef, signImage, type SignOptions, type SignResult } from './index.js';
import { resolveSubject } from './registry.js';
import { gunOf } from './notary-source.js';

export { notaryServerUrl, NotaryPublishError, type NotaryServerSources, type PublishTagResult } from '../notary/index.js';

export interface NotarySignOptions extends SignOptions {
  /** The trust store the key comes from: its root key and the key's certification. */
  readonly store: KeyStore;
  /** The Notary server (engine/notary/server-url.ts `notaryServerUrl`). */
  readonly server: URL;
  /** The root key's passphrase, asked only when the GUN must be initialised. */
  readonly rootPassphrase: () => Promise<string>;
  /** The portcullis home of the Notary trust cache (default: the environment's). */
  readonly home?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface NotarySignResult extends SignResult {
  readonly notary: PublishTagResult;
}

export async function signImageWithNotary(image: string, options: NotarySignOptions): Promise<NotarySignResult> {
  const ref = registryRef(image);
  if (ref.tag === undefined) throw new NotaryPublishError('TAG_REQUIRED', `Notary signs tags: name the tag to sign (${refName(ref)}:TAG), not only a digest`);
  const repository = refName(ref);
  const now = options.now?.() ?? new Date();
  const authorization = await options.store.checkAuthorization(options.key.id, repository, { now });
  if (!authorization.authorized) {
    throw new NotaryPublishError('KEY_NOT_AUTHORIZED', `the repository key ${options.key.id.slice(0, 12)} may not sign for ${repository} (${authorization.reason}): certify it with "portcullis key certify"`);
  }
  const client = await (options.transport ?? dockerTransport).clientFor(ref, options.context);
  let subject;
  try {
    subject = await resolveSubject(client, ref);
  } finally {
    await client.close();
  }
  const tls = await loadTlsSettings({ ...(options.context.certDir ? { certDir: options.context.certDir } : {}), ...(options.context.tlsVerify !== undefined ? { tlsVerify: options.context.tlsVerify } : {}) });
  const notary = await publishTag({
    server: options.server,
    gun: gunOf(ref),
    tag: ref.tag,
    digest: subject.digest,
    size: subject.size,
    repositoryKey: options.key.privateKey,
    rootPublicKey: await options.store.publicKey('root'),
    unlockRootKey: async () => (await options.store.unlock('root', await options.rootPassphrase())).privateKey,
    tls: { rejectUnauthorized: tls.rejectUnauthorized, ...(tls.ca ? { ca: tls.ca } : {}) },
    credentials: notaryCredentials(options.server, ref, options.context),
    ...(options.home !== undefined ? { home: options.home } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const signed = await signImage(`docker://${formatImageRef({ registry: ref.registry, repository: ref.repository, digest: subject.digest })}`, options);
  return { ...signed, reference: formatImageRef({ ...ref, digest: subject.digest }), notary };
}
