/**
 * Notary v1 (Docker Content Trust) as a trust source for content trust and
 * `verify`: which server to ask, asking it through the verified client
 * (engine/notary: TOFU root pinned in the trust cache, every role checked as
 * TUF says), and turning its answer — or its failure — into the NotaryFinding
 * the pure decision (trust/policy/decide.ts) weighs beside cosign.
 *
 * Pins (`notary.rootKeys`, `notary.signers`, trust/policy/notary-pins.ts)
 * are checked here on the verified keys: a root or signer the policy does
 * not pin makes the finding `untrusted`, which does not count.
 *
 * The server: the one configured (`--notary-server`, then
 * PORTCULLIS_CONTENT_TRUST_SERVER, then DOCKER_CONTENT_TRUST_SERVER, chosen
 * by the CLI), else the registry itself, with the scheme the registry client
 * settled on (`https://REGISTRY`; a loopback registry answering plain HTTP is
 * asked over HTTP) and `notary.docker.io` for Docker Hub, as Docker does. TLS
 * is the registry's: `--cert-dir` CAs and `--tls-verify`.
 *
 * Failures: a GUN the server does not know (404) is "no data" everywhere. At
 * the default URL, a registry without a Notary service (connection refused,
 * 403) is "no data" too — it only leaves the decision to
 * the other sources, and `notary.authoritative` still refuses. A configured
 * server that cannot be asked, and trust data that does not verify
 * (expired, under threshold, rolled back, a root that is not the pinned one),
 * are failures that refuse. So is a 401 after the client answered the
 * challenge with the registry credentials (engine/notary/auth.ts), or with
 * none when none are configured: a private GUN read without credentials is
 * not "unsigned".
 */
import type { ImageRef } from '../../core/index.js';
import type { ManifestBlob, SystemContext } from '../../image/index.js';
import { loadTlsSettings, type RegistryClient } from '../../image/transports/docker/index.js';
import { HttpError } from '../../http/index.js';
import { NotaryClient, NotaryError, notaryCredentials } from '../notary/index.js';
import { roleSigners, rootSigners, TufError, type SignerKey, type VerifiedRepository } from '../../trust/tuf/index.js';
import { rootPinProblem, signerPinProblem, type NotaryFinding, type NotaryRule } from '../../trust/index.js';
import { TrustError } from './errors.js';

export interface NotarySettings {
  /** A configured server URL (flag or environment): its failures refuse. Absent: the registry's own. */
  readonly server?: string;
}

/** The server to ask and whether it was configured. */
export async function notaryServerFor(ref: ImageRef, client: RegistryClient, settings: NotarySettings): Promise<{ url: URL; explicit: boolean }> {
  if (settings.server !== undefined) {
    let url: URL;
    try {
      url = new URL(settings.server);
    } catch {
      throw new TypeError(`the Notary server ${JSON.stringify(settings.server)} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`the Notary server ${settings.server} is not an http(s) URL`);
    return { url, explicit: true };
  }
  if (ref.registry === 'docker.io') return { url: new URL('https://notary.docker.io'), explicit: false };
  const base = await client.baseUrl();
  return { url: new URL(`${base.protocol}//${base.host}`), explicit: false };
}

/** What the verified repository says about `ref` under `rule`, pins included (pure over the verified metadata). */
export function findingFor(repo: VerifiedRepository, gun: string, ref: ImageRef, rule: NotaryRule): NotaryFinding {
  const root = rootSigners(repo);
  const rootProblem = rootPinProblem(rule, gun, root);
  if (rootProblem) return { kind: 'untrusted', gun, ...(ref.tag !== undefined ? { tag: ref.tag } : {}), detail: rootProblem, rootKeys: root };
  const roles = rule.roles.length > 0 ? rule.roles : undefined;
  const accepted = (role: string) => roles === undefined || roles.includes(role);
  /** Each role's verified signers, verified once (a digest is looked for across every target). */
  const signersOf = new Map<string, SignerKey[]>();
  const signed = (tag: string, role: string, sha256: string, size: number): NotaryFinding => {
    const signers = signersOf.get(role) ?? roleSigners(repo, role);
    signersOf.set(role, signers);
    const problem = signerPinProblem(rule, gun, role, signers);
    if (problem) return { kind: 'untrusted', gun, tag, detail: problem, rootKeys: root };
    return { kind: 'signed', gun, tag, digest: `sha256:${sha256}`, size, role, keyIds: signers.map((k) => k.keyId), rootKeys: root, signerKeys: signers };
  };
  if (ref.tag === undefined) {
    // By digest: a target of an accepted role with this digest, signed by a pinned signer, vouches for it.
    const hex = ref.digest?.startsWith('sha256:') ? ref.digest.slice('sha256:'.length) : undefined;
    let untrusted: NotaryFinding | undefined;
    for (const [role, targets] of repo.byRole) {
      if (!accepted(role) || hex === undefined) continue;
      for (const t of targets.values()) {
        if (t.sha256 !== hex) continue;
        const finding = signed(t.name, role, t.sha256, t.length);
        if (finding.kind === 'signed') return finding;
        untrusted ??= finding;
      }
    }
    return untrusted ?? { kind: 'not-signed', gun, detail: '' };
  }
  const tag = ref.tag;
  let target = roles === undefined ? repo.targets.get(tag) : undefined;
  for (const role of roles ?? []) {
    target = repo.byRole.get(role)?.get(tag);
    if (target) break;
  }
  if (!target?.sha256) {
    const elsewhere = [...repo.byRole].find(([, targets]) => targets.has(tag))?.[0];
    return { kind: 'not-signed', gun, tag, detail: elsewhere && !accepted(elsewhere) ? `only ${elsewhere} signs it, a role this policy does not accept (notary.roles: ${rule.roles.join(', ')})` : '' };
  }
  if (ref.digest !== undefined && `sha256:${target.sha256}` !== ref.digest) {
    return { kind: 'mismatch', gun, tag, detail: `${tag} is signed for sha256:${target.sha256}, not ${ref.digest}` };
  }
  return signed(tag, target.role, target.sha256, target.length);
}

function failure(error: unknown, gun: string, explicit: boolean, server: URL): NotaryFinding {
  if (error instanceof HttpError) {
    if (error.code === 'NOT_FOUND') return { kind: 'no-data', gun, detail: `${server.origin} has none` };
    // 401 refuses even at the default URL: asked with the user's credentials (or none found), it is "cannot tell", never "no data".
    if (!explicit && (error.code === 'UNREACHABLE' || error.code === 'DENIED')) {
      return { kind: 'no-data', gun, detail: `no Notary service at ${server.origin}: ${error.message}` };
    }
    return { kind: 'failed', gun, reason: 'unavailable', detail: error.message };
  }
  if (error instanceof TufError) {
    const reason = error.code === 'EXPIRED' ? 'expired' : error.code === 'THRESHOLD_NOT_MET' ? 'threshold' : 'invalid';
    return { kind: 'failed', gun, reason, detail: `${error.code}: ${error.message}` };
  }
  if (error instanceof NotaryError) return { kind: 'failed', gun, reason: 'invalid', detail: error.message };
  throw error;
}

export interface ConsultResult {
  readonly finding: NotaryFinding;
  readonly server: string;
}

/**
 * The GUN of an image: `registry/repository`, the host in lower case. Hosts
 * are case-insensitive, and the GUN names the trust-on-first-use pin
 * (`trust/tuf/<gun>/`): `REGISTRY.EXAMPLE/team/app` must meet the root pinned
 * for `registry.example/team/app`, not start a fresh trust on first use.
 */
export function gunOf(ref: ImageRef): string {
  return `${ref.registry.toLowerCase()}/${ref.repository}`;
}

/** Asks Notary about `ref` (GUN `registry/repository`) and returns what it says, failures included. */
export async function consultNotary(
  ref: ImageRef,
  client: RegistryClient,
  settings: NotarySettings,
  rule: NotaryRule,
  trust: { readonly context: SystemContext; readonly now?: () => Date },
): Promise<ConsultResult> {
  const gun = gunOf(ref);
  const { url, explicit } = await notaryServerFor(ref, client, settings);
  const tls = await loadTlsSettings({ ...(trust.context.certDir ? { certDir: trust.context.certDir } : {}), ...(trust.context.tlsVerify !== undefined ? { tlsVerify: trust.context.tlsVerify } : {}) });
  const notary = await NotaryClient.open({
    server: url,
    ...(tls.ca ? { ca: tls.ca } : {}),
    tlsVerify: tls.rejectUnauthorized,
    env: trust.context.env ?? process.env,
    ...(trust.now ? { now: trust.now } : {}),
    ...(trust.context.timeoutMs !== undefined ? { timeoutMs: trust.context.timeoutMs } : {}),
    // The default URL is a guess: a registry without Notary should not cost retries.
    retries: explicit ? 2 : 0,
    credentials: notaryCredentials(url, ref, trust.context),
  });
  try {
    let repo: VerifiedRepository;
    try {
      repo = await notary.update(gun);
    } catch (error) {
      return { finding: failure(error, gun, explicit, url), server: url.origin };
    }
    return { finding: findingFor(repo, gun, ref, rule), server: url.origin };
  } finally {
    await notary.close();
  }
}

/** A signed finding checked against the manifest about to be used: same digest, same size, or a mismatch. */
export function againstManifest(finding: NotaryFinding, manifest: ManifestBlob): NotaryFinding {
  if (finding.kind !== 'signed') return finding;
  const what = finding.tag ?? 'the target';
  if (finding.digest !== manifest.digest) {
    return { kind: 'mismatch', gun: finding.gun, tag: what, detail: `${what} is signed for ${finding.digest}, not ${manifest.digest} (the tag was moved since it was signed)` };
  }
  if (finding.size !== manifest.bytes.length) {
    return { kind: 'mismatch', gun: finding.gun, tag: what, detail: `${what} is signed with size ${finding.size}, the manifest ${manifest.digest} has ${manifest.bytes.length} bytes` };
  }
  return finding;
}

export interface PinnedToNotary {
  /** The manifest to verify and copy: the one Notary signs for the tag when it signs one. */
  readonly manifest: ManifestBlob;
  readonly result: ConsultResult;
  /** What the user should read: the tag was moved since it was signed. */
  readonly notes: readonly string[];
}

/**
 * Content trust's Notary step, as `docker pull` with DOCKER_CONTENT_TRUST=1:
 * a tag signed in Notary is pulled at its signed digest, even when the
 * registry's tag now names another manifest.
 */
export async function pinToNotary(
  ref: ImageRef,
  client: RegistryClient,
  resolved: ManifestBlob,
  settings: NotarySettings,
  rule: NotaryRule,
  trust: { readonly context: SystemContext; readonly now?: () => Date },
): Promise<PinnedToNotary> {
  const result = await consultNotary(ref, client, settings, rule, trust);
  const finding = result.finding;
  let manifest = resolved;
  const notes: string[] = [];
  if (finding.kind === 'signed' && ref.digest === undefined && finding.digest !== resolved.digest) {
    try {
      manifest = await client.getManifest(ref.repository, finding.digest);
    } catch (error) {
      throw new TrustError('TRUST_REFUSED', `content trust refused ${finding.gun}:${finding.tag ?? ''}: Notary signs ${finding.digest}, which the registry cannot serve (${(error as Error).message})`, { cause: error });
    }
    if (manifest.digest !== finding.digest) throw new TrustError('TRUST_REFUSED', `the registry answered ${manifest.digest} for ${finding.gun}@${finding.digest}`);
    notes.push(`${finding.gun}:${finding.tag ?? ''} was moved since it was signed: the registry's tag names ${resolved.digest}; using the digest Notary signs, ${finding.digest}`);
  }
  return { manifest, result: { ...result, finding: againstManifest(finding, manifest) }, notes };
}
