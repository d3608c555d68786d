/**
 * A registry's metadata as the UI tests see it, written through the
 * MetadataStore API only (putManifest with a tag, saveScan), so any store
 * implementation can be filled with it:
 * - `library/debian`: a Debian 12 image (the report tests' realistic result
 *   plus findings of every severity and each kind of advisory id) under two
 *   tags, a slimmer image, a clean one, a failed scan, a queued one, a
 *   multi-platform index and a signature artifact;
 * - `team/m/app`: a name with an `m` component, which must not be read as
 *   `/m/<digest>`;
 * - a repository, tags and scan result made of hostile strings (`<script>`,
 *   `"onmouseover=`, a `javascript:` link, terminal escapes and a
 *   right-to-left override);
 * - `aaa/pending` (queued) and `zzz/clean` (no findings), which tie.
 */
import type { Digest } from '../../../src/core/digest.js';
import type { Finding, ScanResult } from '../../../src/core/finding.js';
import { MediaType } from '../../../src/core/media-types.js';
import type { ManifestRecord, MetadataStore, ScanRecord, ScanState } from '../../../src/server/metadata/store.js';
import { DEBIAN_RESULT, FINDINGS, HOSTILE_DESCRIPTION, HOSTILE_TITLE } from '../../report/fixtures.js';

export const d = (c: string): Digest => `sha256:${c.repeat(64).slice(0, 64)}` as Digest;

export const DB_DIGEST = d('db');
export const DEBIAN = 'library/debian';
export const M_REPO = 'team/m/app';
export const HOSTILE_REPO = 'evil/<script>window.__pwned=1</script>"onmouseover="window.__pwned=2"?x=1#frag';
export const HOSTILE_TAG = '<img src=x onerror="window.__pwned=3">';
/** A terminal hyperlink escape, a bell and a right-to-left override: shown as their codes. */
export const CONTROL_TAG = '\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\u202etxt.exe';
export const CONTROL_TAG_SHOWN = '\\u{1b}]8;;https://evil.example\\u{7}click\\u{1b}]8;;\\u{7}\\u{202e}txt.exe';
export const HOSTILE_PACKAGE = '<script>window.__pwned=4</script>';
export const HOSTILE_VERSION = '1.0"onmouseover="window.__pwned=5"';
export const HOSTILE_ID = 'EVIL-<b>1</b>';
export { HOSTILE_DESCRIPTION, HOSTILE_TITLE };

export const DIGESTS = {
  debian12: d('a1'),
  slim: d('b2'),
  rc: d('c3'),
  broken: d('d4'),
  clean: d('e5'),
  multi: d('f6'),
  arm64: d('a7'),
  signature: d('b8'),
  mApp: d('c9'),
  hostile: d('0a'),
  pending: d('1b'),
  zzzClean: d('2c'),
} as const;

const byId = (id: string, pkg: string): Finding => FINDINGS.find((f) => f.id === id && f.package.name === pkg)!;
const bash = byId('CVE-2022-3715', 'bash');
const stdlib = byId('CVE-2023-39325', 'stdlib');
const lodash = byId('CVE-2021-23337', 'lodash');

/** Findings the report fixture lacks: a bare GHSA id, a Go id, a Debian TEMP id, a DLA with a `javascript:` link; NEGLIGIBLE and UNKNOWN. */
export const EXTRA_FINDINGS: Finding[] = [
  {
    ...lodash,
    id: 'GHSA-p6mc-m468-83gw',
    aliases: [],
    severity: 'MEDIUM',
    title: 'Prototype Pollution in lodash',
    primaryUrl: 'https://osv.dev/vulnerability/GHSA-p6mc-m468-83gw',
    fixedVersion: '4.17.19',
  },
  { ...stdlib, id: 'GO-2024-2963', aliases: [], severity: 'UNKNOWN', title: 'Denial of service in net/http', primaryUrl: 'https://pkg.go.dev/vuln/GO-2024-2963', fixedVersion: '1.21.12' },
  {
    ...bash,
    id: 'TEMP-0290435-0B57B5',
    aliases: [],
    severity: 'NEGLIGIBLE',
    status: 'will-not-fix',
    title: 'bash: unimportant issue',
    primaryUrl: 'https://security-tracker.debian.org/tracker/TEMP-0290435-0B57B5',
  },
  { ...bash, id: 'DLA-3599-1', aliases: ['CVE-2022-3715'], severity: 'LOW', title: 'bash security update', primaryUrl: 'javascript:alert(3)' },
];

export const DEBIAN12_RESULT: ScanResult = { ...DEBIAN_RESULT, target: `${DEBIAN}:12`, findings: [...DEBIAN_RESULT.findings, ...EXTRA_FINDINGS] };

function result(target: string, findings: readonly Finding[], extra: Partial<ScanResult> = {}): ScanResult {
  return { ...DEBIAN_RESULT, target, findings, warnings: [], ...extra };
}

const HOSTILE_FINDING: Finding = {
  ...bash,
  id: HOSTILE_ID,
  aliases: ['<i>alias</i>'],
  package: { ...bash.package, name: HOSTILE_PACKAGE, path: 'usr/lib/"onmouseover="x' },
  installedVersion: HOSTILE_VERSION,
  fixedVersion: '2.0<script>window.__pwned=6</script>',
  severity: 'CRITICAL',
  title: HOSTILE_TITLE,
  description: HOSTILE_DESCRIPTION,
  primaryUrl: 'https://example.com/a"onmouseover="window.__pwned=7',
  layerCreatedBy: 'RUN echo "<script>window.__pwned=8</script>"',
};

export const HOSTILE_RESULT: ScanResult = result('evil', [HOSTILE_FINDING], {
  os: { id: 'evil', prettyName: '<i>Evil OS</i>"onmouseover="window.__pwned=9' },
  warnings: ['<script>window.__pwned=10</script>'],
});

function counts(findings: readonly Finding[]): ScanRecord['counts'] {
  const out: Record<string, number> = {};
  for (const f of findings) if (!f.suppressed) out[f.severity] = (out[f.severity] ?? 0) + 1;
  return out;
}

const image = (repository: string, digest: Digest, pushedAt: string): ManifestRecord => ({
  repository,
  digest,
  mediaType: MediaType.OciManifest,
  size: 1234,
  artifactType: MediaType.OciConfig,
  references: [d('ff'), d('fe')],
  pushedAt,
});

async function scan(store: MetadataStore, digest: Digest, state: ScanState, r?: ScanResult, error?: string): Promise<void> {
  await store.saveScan({
    manifestDigest: digest,
    state,
    databaseDigest: DB_DIGEST,
    ...(r ? { result: r, counts: counts(r.findings) } : {}),
    ...(error ? { error } : {}),
    updatedAt: '2024-03-01T12:00:00.000Z',
  });
}

/** Tags of `library/debian` in the order the tags page must show them. */
export const DEBIAN_TAG_ORDER = ['latest', '12', 'multi', '12-slim', 'clean', 'broken', '13-rc', 'sig'];
/** Repositories in the order `/ui/` must show them. */
export const REPOSITORY_ORDER = [DEBIAN, HOSTILE_REPO, M_REPO, 'aaa/pending', 'zzz/clean'];

export async function seed(store: MetadataStore): Promise<void> {
  const t = (minute: number): string => `2024-03-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
  await store.putManifest(image(DEBIAN, DIGESTS.debian12, t(1)), '12');
  await store.putManifest(image(DEBIAN, DIGESTS.debian12, t(5)), 'latest');
  await scan(store, DIGESTS.debian12, 'done', DEBIAN12_RESULT);

  const curl = byId('CVE-2023-38545', 'curl');
  await store.putManifest(image(DEBIAN, DIGESTS.slim, t(2)), '12-slim');
  await scan(store, DIGESTS.slim, 'done', result(`${DEBIAN}:12-slim`, [{ ...curl, severity: 'HIGH' }, bash, { ...bash, id: 'CVE-2022-0001' }]));

  await store.putManifest(image(DEBIAN, DIGESTS.clean, t(3)), 'clean');
  await scan(store, DIGESTS.clean, 'done', result(`${DEBIAN}:clean`, []));

  await store.putManifest(image(DEBIAN, DIGESTS.broken, t(4)), 'broken');
  await scan(store, DIGESTS.broken, 'failed', undefined, 'layer sha256:ff…: unexpected EOF <b>not bold</b>');

  await store.putManifest(image(DEBIAN, DIGESTS.rc, t(6)), '13-rc');
  await scan(store, DIGESTS.rc, 'queued');

  // A multi-platform index over the slim image and an arm64 image with one CRITICAL.
  await store.putManifest(image(DEBIAN, DIGESTS.arm64, t(7)));
  await scan(store, DIGESTS.arm64, 'done', result(`${DEBIAN}@arm64`, [curl], { image: { ...DEBIAN_RESULT.image!, platform: 'linux/arm64' } }));
  await store.putManifest({ repository: DEBIAN, digest: DIGESTS.multi, mediaType: MediaType.OciIndex, size: 700, references: [DIGESTS.slim, DIGESTS.arm64], pushedAt: t(8) }, 'multi');

  // A cosign-style signature: not an image.
  await store.putManifest({ ...image(DEBIAN, DIGESTS.signature, t(9)), artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', subject: DIGESTS.debian12 }, 'sig');
  await scan(store, DIGESTS.signature, 'skipped', undefined, 'not an image (signature, attestation or other artifact)');

  await store.putManifest(image(M_REPO, DIGESTS.mApp, t(10)), 'v1');
  await scan(store, DIGESTS.mApp, 'done', result(`${M_REPO}:v1`, [byId('CVE-2023-5678', 'openssl')]));

  await store.putManifest(image(HOSTILE_REPO, DIGESTS.hostile, t(0)), CONTROL_TAG);
  await store.putManifest(image(HOSTILE_REPO, DIGESTS.hostile, t(11)), HOSTILE_TAG);
  await scan(store, DIGESTS.hostile, 'done', HOSTILE_RESULT);

  await store.putManifest(image('zzz/clean', DIGESTS.zzzClean, t(12)), 'v1');
  await scan(store, DIGESTS.zzzClean, 'done', result('zzz/clean:v1', []));
  await store.putManifest(image('aaa/pending', DIGESTS.pending, t(13)), 'v1');
  await scan(store, DIGESTS.pending, 'queued');
}
