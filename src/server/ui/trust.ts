/**
 * Who signed an image and whether that key is trusted for the repository,
 * as the registry's signature check found it (signature-check.ts: the same
 * verification `--require-signature` refuses pulls by, cached, never redone
 * here), and what is attached to the image (accessories.ts). Without
 * `--require-signature` the registry has no trust store to check against:
 * the UI says signatures are not checked and lists what is attached.
 * Beside the cosign keys, what the registry's own Notary data says (Docker
 * Content Trust, content-trust.ts): which roles sign the image
 * (`targets`, `targets/<name>`) and with which keys.
 */
import type { Digest } from '../../core/index.js';
import type { ContentTrustDecision } from '../content-trust.js';
import type { SignatureFound, SignatureSummary } from '../signature-check.js';
import type { Accessory } from './accessories.js';
import type { UiContext } from './context.js';
import { ago, h, shortDigest, table } from './html.js';

export type TrustAnswer = { readonly checked: false } | { readonly checked: true; readonly summary: SignatureSummary } | { readonly checked: true; readonly error: string };

export async function trustOf(ctx: UiContext, repository: string, digest: Digest): Promise<TrustAnswer> {
  if (!ctx.signatures) return { checked: false };
  try {
    const summary = await ctx.signatures.describe(repository, digest);
    return summary ? { checked: true, summary } : { checked: false };
  } catch (error) {
    return { checked: true, error: (error as Error).message };
  }
}

function keyName(s: SignatureFound): string {
  if (!s.keyId) return 'an unknown key';
  const label = s.keyLabel ? ` (${s.keyLabel.slice(s.keyLabel.lastIndexOf('/') + 1)})` : '';
  return `key ${s.keyId.slice(0, 12)}${label}`;
}

/** One line per signature: by which key, and whether the key is trusted for this repository. */
function signatureLine(s: SignatureFound): { text: string; trusted: boolean } {
  switch (s.status) {
    case 'verified':
      return { text: `signed by ${keyName(s)}: trusted`, trusted: true };
    case 'untrusted-key':
      return { text: `signed by ${keyName(s)}: not trusted for this repository`, trusted: false };
    case 'unknown-key':
      return { text: 'signed by an unknown key: not trusted', trusted: false };
    default:
      return { text: `${s.status.replace(/-/g, ' ')}${s.keyId ? ` (${keyName(s)})` : ''}: not trusted`, trusted: false };
  }
}

/** The signature cell of a tag row: the best signature found, or why there is none. */
export function signatureCell(answer: TrustAnswer, accessories: readonly Accessory[]): string {
  if (!answer.checked) {
    const attached = accessories.filter((a) => a.kind === 'signature').length;
    return attached
      ? `<span class="sig sig-unchecked" data-signature="unchecked">${attached} attached, not checked</span>`
      : '<span class="sig sig-none" data-signature="none">no signature <small>(not checked)</small></span>';
  }
  if ('error' in answer) return `<span class="sig sig-error" data-signature="error" title="${h(answer.error)}">signature check failed</span>`;
  const { summary } = answer;
  const notary = summary.contentTrust?.outcome === 'signed' ? summary.contentTrust : undefined;
  if (notary && !summary.signatures.some((s) => s.status === 'verified')) {
    const roles = notary.signers.map((s) => s.role).join(', ');
    return `<span class="sig sig-trusted" data-signature="trusted" data-notary="signed">signed (Docker Content Trust: ${h(roles)})</span>`;
  }
  if (summary.unsigned || summary.signatures.length === 0) return '<span class="sig sig-unsigned" data-signature="unsigned">unsigned</span>';
  const lines = summary.signatures.map(signatureLine);
  const best = lines.find((l) => l.trusted) ?? lines[0]!;
  const more = lines.length > 1 ? ` <small>+${lines.length - 1}</small>` : '';
  return `<span class="sig ${best.trusted ? 'sig-trusted' : 'sig-untrusted'}" data-signature="${best.trusted ? 'trusted' : 'untrusted'}">${h(best.text)}</span>${more}`;
}

/** The attestation cell of a tag row: how many, and the newest one's age. */
export function attestationCell(accessories: readonly Accessory[], now: Date): string {
  const attestations = accessories.filter((a) => a.kind === 'attestation');
  if (!attestations.length) return '<span class="none" data-attestations="0">none</span>';
  return `<span data-attestations="${attestations.length}">${attestations.length}, newest ${ago(attestations[0]!.created, now)}</span>`;
}

/** The image page's "Signatures" section. */
export function signatureSection(answer: TrustAnswer, accessories: readonly Accessory[], now: Date): string {
  const head = '<h2>Signatures</h2>';
  if (!answer.checked) {
    const attached = accessories.filter((a) => a.kind === 'signature').length;
    return `${head}\n<p id="trust-summary" class="none" data-signature="${attached ? 'unchecked' : 'none'}">This registry does not check signatures (it was started without <code>--require-signature</code>, so it has no trust store). ${attached ? `${attached} signature ${attached === 1 ? 'artifact is' : 'artifacts are'} attached, not verified here: use <code>portcullis verify</code>.` : 'No signature is attached.'}</p>`;
  }
  if ('error' in answer) return `${head}\n<p id="trust-summary" class="error" data-signature="error">The signature check failed: ${h(answer.error)}</p>`;
  const { summary } = answer;
  const byNotaryOnly = summary.verified && summary.contentTrust?.outcome === 'signed' && !summary.signatures.some((s) => s.status === 'verified');
  const verdict = byNotaryOnly
    ? `<p id="trust-summary" data-signature="trusted">Signed with Docker Content Trust in this registry's Notary data <small>(checked ${ago(summary.checkedAt, now)})</small>.</p>`
    : summary.verified
      ? `<p id="trust-summary" data-signature="trusted">Signed by a key trusted for this repository <small>(trust policy entry ${h(summary.entry)}, checked ${ago(summary.checkedAt, now)})</small>.</p>`
      : `<p id="trust-summary" class="error" data-signature="${summary.unsigned ? 'unsigned' : 'untrusted'}">${summary.unsigned ? 'Unsigned: no signature was found for this image.' : `No signature by a trusted key: ${h(summary.reason ?? '')}`}</p>`;
  const rows = summary.signatures.map((s) => {
    const line = signatureLine(s);
    return (
      `<tr data-status="${h(s.status)}" data-trusted="${line.trusted}"><td>${h(s.layout === 'tag' ? 'cosign tag' : 'Sigstore bundle')}</td>` +
      `<td>${s.keyId ? `<code title="${h(s.keyId)}">${h(s.keyId.slice(0, 12))}</code>${s.keyLabel ? ` <small>${h(s.keyLabel.slice(s.keyLabel.lastIndexOf('/') + 1))}</small>` : ''}` : '<span class="none">unknown</span>'}</td>` +
      `<td class="trusted">${line.trusted ? '<span class="clean">trusted</span>' : '<span class="error">not trusted</span>'}</td><td>${h(s.message)}</td></tr>`
    );
  });
  const cosign = table('signatures', ['Layout', 'Key', 'For this repository', 'Detail'], rows, 'No cosign or Sigstore signature was found.');
  return `${head}\n${verdict}\n${cosign}${summary.contentTrust ? `\n${notarySection(summary.contentTrust)}` : ''}`;
}

/** Docker Content Trust as the registry's own Notary data has it: the verdict, and each signing role with its keys. */
function notarySection(decision: ContentTrustDecision): string {
  const head = '<h3>Docker Content Trust (Notary)</h3>';
  const line = `<p id="notary-summary"${decision.outcome === 'signed' ? '' : ' class="none"'} data-notary="${h(decision.outcome)}">${h(decision.message)}</p>`;
  if (decision.outcome !== 'signed') return `${head}\n${line}`;
  const rows = decision.signers.map(
    (s) =>
      `<tr data-role="${h(s.role)}"><td><code>${h(s.role)}</code></td><td>${s.keyIds.length ? s.keyIds.map((id) => `<code title="${h(id)}" data-key-id="${h(id)}">${h(id.slice(0, 12))}</code>`).join(' ') : '<span class="none">none verified</span>'}</td></tr>`,
  );
  return `${head}\n${line}\n${table('notary-signers', ['Role', 'Keys'], rows, 'No role signs this image.')}`;
}

/** The image page's "Attached" section: every accessory, its kind, what it says it is, and its age. */
export function attachedSection(repositoryPath: (digest: Digest) => string, accessories: readonly Accessory[], now: Date): string {
  const rows = accessories.map((a) => {
    const what = a.predicateTypes.length ? a.predicateTypes.map((t) => `<code>${h(t)}</code>`).join('<br>') : a.artifactType ? `<code>${h(a.artifactType)}</code>` : '<span class="none">–</span>';
    const name = a.tags.length ? a.tags.map((t) => `<code>${h(t)}</code>`).join(' ') : '<span class="none">referrer</span>';
    return `<tr data-kind="${h(a.kind)}" data-digest="${h(a.digest)}"><td>${h(a.kind)}</td><td>${what}</td><td>${name}<br><a href="${h(repositoryPath(a.digest))}">${shortDigest(a.digest)}</a></td><td>${ago(a.created, now)}</td></tr>`;
  });
  return `<h2>Attached</h2>\n${table('attached', ['Kind', 'Type', 'Tag', 'Age'], rows, 'Nothing is attached to this image (no signature, attestation or SBOM).')}`;
}
