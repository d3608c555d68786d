/**
 * `sign --notary`: also publish the tag to Notary v1, as `docker trust sign`
 * (engine/trust/notary-sign.ts). Only the trust store's keys: the root key
 * becomes the GUN's root (its passphrase asked only when the GUN is new), the
 * repository key signs targets and must be certified for the repository.
 * The Notary server: --notary-server, PORTCULLIS_CONTENT_TRUST_SERVER,
 * DOCKER_CONTENT_TRUST_SERVER, else https://REGISTRY; TLS as the registry's
 * (--cert-dir, --tls-verify).
 */
import { existsSync } from 'node:fs';
import { registryRef, type SignLayout } from '../../engine/trust/index.js';
import { NotaryPublishError, notaryServerUrl, signImageWithNotary } from '../../engine/trust/notary-sign.js';
import { systemContext } from '../context.js';
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson, type OutputStreams } from '../output.js';
import type { SignCommandOptions } from './sign.js';
import { openKeyStoreFromEnv, passphrase, portcullisHome } from './trust-shared.js';

export interface ParsedSignFlags {
  readonly format: 'text' | 'json';
  readonly layout: SignLayout;
  readonly annotations?: Record<string, string>;
}

export async function signWithNotary(image: string, options: SignCommandOptions, flags: ParsedSignFlags, io: OutputStreams): Promise<number> {
  const keyRef = options.key ?? 'repository';
  if (existsSync(keyRef) || !/^(?:repository|[0-9a-f]{6,64})$/i.test(keyRef)) {
    throw new UsageError('--notary signs with the trust store\'s repository key (its root key becomes the GUN\'s root): --key must name a store key, not a file');
  }
  const ref = registryRef(image);
  if (ref.tag === undefined) throw new NotaryPublishError('TAG_REQUIRED', `Notary signs tags: name the tag to sign (${ref.registry}/${ref.repository}:TAG), not only a digest`);
  const server = notaryServerUrl({ flag: options.notaryServer, env: io.env, registry: ref.registry });
  const store = openKeyStoreFromEnv(io.env);
  const key = await store.unlock(keyRef, await passphrase('repository', options, io.env));
  const result = await signImageWithNotary(image, {
    key,
    store,
    server,
    context: systemContext(options, io),
    layout: flags.layout,
    ...(flags.annotations ? { annotations: flags.annotations } : {}),
    rootPassphrase: () => passphrase('root', options, io.env),
    home: portcullisHome(io.env),
    env: io.env,
  });
  if (flags.format === 'json') writeJson(io.stdout, result);
  else {
    const n = result.notary;
    io.stderr.write(`Signed ${result.repository}@${result.digest} with key ${result.keyId.slice(0, 12)} (${result.pushed.map((p) => p.layout).join(' + ')} layout)\n`);
    const what = n.initialized ? 'initialised the GUN and signed' : n.changed ? 'signed' : 'already signed';
    io.stderr.write(`Notary ${n.server.replace(/\/$/, '')}: ${what} ${n.gun}:${n.tag} → ${n.digest} (${n.size} bytes, targets v${n.targetsVersion}; root key ${n.rootKeyId.slice(0, 12)}, repository key ${n.targetsKeyId.slice(0, 12)})\n`);
    io.stdout.write(`${result.digest}\n`);
  }
  return ExitCode.Ok;
}
