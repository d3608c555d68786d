/**
 * The rpm distributions: which OSV ecosystems (ossf/osv-schema
 * `ecosystems.json`) hold an image's advisories, and when a modular package
 * may be judged by an advisory entry at all.
 *
 * - Red Hat Enterprise Linux and UBI (`ID=rhel`): `Red Hat:<CPE>` where the
 *   CPE is the product stream. The content sets of the image's content
 *   manifests decide the streams (`rhel-8-for-x86_64-appstream-e4s-rpms` on
 *   8.6 → `Red Hat:rhel_e4s:8.6::appstream`); without a content manifest the
 *   defaults are the main streams, as Trivy's `defaultContentSets`
 *   (`enterprise_linux:N::baseos` and `::appstream`; `::server` for 6 and 7).
 *   Red Hat's repository-to-CPE map is not bundled: content sets are
 *   translated by their documented naming pattern, and one that does not
 *   follow it is not used.
 * - CentOS Linux and CentOS Stream: no vendor feed exists; they are judged by
 *   the RHEL main streams of the same major release (as Trivy judges CentOS
 *   by Red Hat data). Stream builds run ahead of RHEL, so this can miss
 *   findings but does not invent fixes.
 * - Rocky Linux, AlmaLinux: `Rocky Linux:N`, `AlmaLinux:N`.
 * - SUSE: `SUSE:<PRETTY_NAME without "SUSE ">` (the schema's definition:
 *   ossf/osv-schema@51b8156 `ecosystems.json`), its `-LTSS` spelling, and on
 *   SLE 15 everything else filed under the same service pack: the modules
 *   that ship the base packages (`SUSE:Linux Enterprise Module for
 *   Basesystem 15 SP5`: SLE 15 packages are filed under the module that
 *   ships them, not the product) and the sibling products built from the
 *   same code stream (HPC with its `-LTSS`/`-ESPOS`, SLES for SAP); on SLE 12
 *   also `Linux Enterprise Server LTSS Extended Security 12 SP5`
 *   (google/osv.dev@7e6c189 `go/osv/ecosystem/wrapper_test.go`, record
 *   SUSE-SU-2025:01777-1). Trivy's SUSE driver likewise files every "SUSE
 *   Linux Enterprise …" product of a service pack under one release
 *   (aquasecurity/trivy-db@a0049d7 `pkg/vulnsrc/suse-cvrf`). Names are the
 *   source rpm.
 *   openSUSE: `openSUSE:Leap 15.5` (+ `NonFree`), `openSUSE:Tumbleweed`,
 *   `openSUSE:Leap Micro 5.5`; SUSE-SU records list the Leap release too
 *   (google/osv-scanner@add393a `cmd/osv-scanner/scan/image/__snapshots__/
 *   command_test.snap`: SUSE-SU-2024:3765-1 on `openSUSE:Leap 15.5`
 *   `openssl-1_1`, a source rpm name).
 * - Photon OS: `Photon OS:<VERSION_ID>` (`4.0`), the release as Photon's own
 *   feed names it (`cve_data_photon4.0.json`, see ../sources/photon.ts) and
 *   as the schema's example writes it (`Photon OS:3.0`); names are binary
 *   rpms (`curl-libs`, `linux-esx`).
 * - Azure Linux and CBL-Mariner: `Azure Linux:<major>` first, then
 *   `Azure Linux:<major.minor>`. osv.dev imports Microsoft's own OSV records
 *   (AZL-…, microsoft/AzureLinuxVulnerabilityData `osv/`: google/osv.dev@7e6c189
 *   `source.yaml`) and its tests file AZL-10003, a Mariner 2.0 kernel, under
 *   `Azure Linux:2` (`go/osv/ecosystem/wrapper_test.go`): Mariner 1.0/2.0
 *   are `Azure Linux:1`/`:2`, Azure Linux 3.0 is `Azure Linux:3`. OSV-SCALIBR
 *   (google/osv-scalibr@c2094f2 `extractor/filesystem/os/ecosystem`) asks
 *   `Azure Linux:<VERSION_ID>` (`3.0`) instead, hence both spellings. Names
 *   are source rpms (ecosystems.json), as in Microsoft's OVAL
 *   (`oath-toolkit`, fixed `0:2.6.7-3.azl3`).
 * - Amazon Linux: `Amazon Linux:2023`, `:2022`, `:2`, and `:1` for every
 *   Amazon Linux AMI release (2011.09 … 2018.03: one repository line), the
 *   ecosystems of the `amazon-updateinfo` feed (sources/amazon-updateinfo.ts).
 * - Oracle Linux: Oracle's ELSA OVAL feed (sources/oracle-oval.ts), filed
 *   under `Oracle Linux:<major>`; a ksplice userspace build (`.ksplice1.` in
 *   its release) is judged only under `:ksplice`, a FIPS build (`_fips`) only
 *   under `:fips`. Fixes that differ per architecture are filed under
 *   `…:<arch>`: an x86_64 or aarch64 package asks its own; a noarch or i686
 *   package cannot tell the image's architecture, so it asks every one
 *   (a later respin on another architecture can then report it: never a
 *   missed fix). The scan needs the feed in the database (vendor-feeds.ts).
 *
 * Module streams (RHEL 8+ and rebuilds): an rpm built for a module carries
 * `.module+el8…` (`.module_el8…` at AlmaLinux) in its release, and the rpm
 * database records its `modularitylabel` (`name:stream:version:context`).
 * OSV records keep only the fixed version (Red Hat's converter drops the
 * purl qualifiers that named the module), so the stream is judged from it:
 * a modular package is never judged by a non-modular fix nor the reverse,
 * and when the stream is a version (`nodejs:18`, `python39:3.9`) and the
 * installed version follows it, the fix must be on that stream too.
 */
import type { AffectedPackage, OsRelease, Package } from '../../core/index.js';
import { oracleEcosystem, oracleFlavour } from '../sources/oracle-oval.js';

function major(versionId: string | undefined): string | undefined {
  return /^(\d+)/.exec(versionId ?? '')?.[1];
}

/** `8.6` from `8.6` or `8.6.1`; undefined for a bare major. */
function majorMinor(versionId: string | undefined): string | undefined {
  const m = /^(\d+)\.(\d+)/.exec(versionId ?? '');
  return m ? `${m[1]}.${m[2]}` : undefined;
}

const RHEL_REPO = /^rhel-(\d+)-for-[a-z0-9_]+-(baseos|appstream|supplementary|highavailability|resilientstorage|sap|sap-solutions|nfv|rt)(?:-(eus|aus|e4s|tus))?-rpms$/;
const RHEL_CRB = /^codeready-builder-for-rhel-(\d+)-[a-z0-9_]+(?:-(eus|aus|e4s|tus))?-rpms$/;
const RHEL7_SERVER = /^rhel-([67])-server(?:-optional)?-rpms$/;

/** The OSV `Red Hat:` ecosystem of one content set; undefined when its name does not follow the pattern. */
export function contentSetEcosystem(contentSet: string, versionId: string | undefined): string | undefined {
  const legacy = RHEL7_SERVER.exec(contentSet);
  if (legacy) return `Red Hat:enterprise_linux:${legacy[1]}::server`;
  const repo = RHEL_REPO.exec(contentSet);
  const crb = repo ? undefined : RHEL_CRB.exec(contentSet);
  const release = repo?.[1] ?? crb?.[1];
  if (!release) return undefined;
  const kind = repo ? repo[2]! : 'crb';
  const extended = repo ? repo[3] : crb?.[2];
  if (!extended) return `Red Hat:enterprise_linux:${release}::${kind}`;
  // An extended-support stream is per minor release: the image's own.
  const minor = majorMinor(versionId);
  if (!minor || major(minor) !== release) return undefined;
  return `Red Hat:rhel_${extended}:${minor}::${kind}`;
}

function redHatDefaults(release: string): string[] {
  return Number(release) <= 7
    ? [`Red Hat:enterprise_linux:${release}::server`]
    : [`Red Hat:enterprise_linux:${release}::baseos`, `Red Hat:enterprise_linux:${release}::appstream`];
}

const SLE15_MODULES = [
  'Basesystem',
  'Server Applications',
  'Desktop Applications',
  'Development Tools',
  'Containers',
  'Public Cloud',
  'Web and Scripting',
  'Legacy',
  'Python 3',
  'Systems Management',
  'HPC',
  'SAP Applications',
  'Transactional Server',
];

/** Products of one SLE 15 service pack besides the image's own: built from the same code stream, so their fixes apply. */
const SLE15_SIBLINGS = [
  'Linux Enterprise Server',
  'Linux Enterprise Server-LTSS',
  'Linux Enterprise High Performance Computing',
  'Linux Enterprise High Performance Computing-LTSS',
  'Linux Enterprise High Performance Computing-ESPOS',
  'Linux Enterprise Server for SAP Applications',
];

/** `SUSE:Linux Enterprise Server 15 SP5` + `-LTSS`; the `-LTSS` style suffix goes after the release. */
function sleProduct(product: string, release: string): string {
  const dash = product.indexOf('-');
  return dash < 0 ? `SUSE:${product} ${release}` : `SUSE:${product.slice(0, dash)} ${release}${product.slice(dash)}`;
}

function suseEcosystems(os: OsRelease): string[] {
  const pretty = os.prettyName?.trim();
  if (!pretty?.startsWith('SUSE ')) return [];
  const product = pretty.slice('SUSE '.length);
  const out = new Set([`SUSE:${product}`, `SUSE:${product}-LTSS`]);
  const sle15 = /^Linux Enterprise [A-Za-z ]+ (15(?: SP\d+)?)$/.exec(product)?.[1];
  if (sle15) {
    for (const m of SLE15_MODULES) out.add(`SUSE:Linux Enterprise Module for ${m} ${sle15}`);
    for (const p of SLE15_SIBLINGS) out.add(sleProduct(p, sle15));
  }
  const sle12 = /^Linux Enterprise Server (12 SP\d+)$/.exec(product)?.[1];
  if (sle12) out.add(`SUSE:Linux Enterprise Server LTSS Extended Security ${sle12}`);
  return [...out];
}

/** `2`, `2023`, `2022` as written; an Amazon Linux AMI release (`2018.03`, `2017.09`) is `1`. */
function amazonEcosystems(versionId: string | undefined): string[] {
  const v = versionId?.trim() ?? '';
  if (v === '2' || v === '2022' || v === '2023') return [`Amazon Linux:${v}`];
  if (/^20(1[1-8])\.\d{2}$/.test(v) || v === '1') return ['Amazon Linux:1'];
  return [];
}

/** OSV ecosystems of an rpm distribution, most specific first; empty when none is known. */
export function rpmEcosystems(os: OsRelease): string[] {
  const id = os.id.toLowerCase();
  const release = major(os.versionId);
  switch (id) {
    case 'rhel': {
      if (!release) return [];
      const fromSets = new Set<string>();
      for (const cs of os.contentSets ?? []) {
        const eco = contentSetEcosystem(cs, os.versionId);
        if (eco) fromSets.add(eco);
      }
      return fromSets.size > 0 ? [...fromSets] : redHatDefaults(release);
    }
    case 'centos':
      return release ? redHatDefaults(release) : [];
    case 'rocky':
      return release ? [`Rocky Linux:${release}`] : [];
    case 'almalinux':
      return release ? [`AlmaLinux:${release}`] : [];
    case 'opensuse': // Leap 42.x
    case 'opensuse-leap': {
      const v = majorMinor(os.versionId);
      return v ? [`openSUSE:Leap ${v}`, `openSUSE:Leap ${v} NonFree`] : [];
    }
    case 'opensuse-leap-micro': {
      const v = majorMinor(os.versionId);
      return v ? [`openSUSE:Leap Micro ${v}`] : [];
    }
    case 'opensuse-tumbleweed':
      return ['openSUSE:Tumbleweed'];
    case 'sles':
    case 'sled':
    case 'sles_sap':
    case 'sle-micro':
    case 'sle-micro-rancher':
    case 'sl-micro':
    case 'sle_hpc':
      return suseEcosystems(os);
    case 'photon': {
      const v = majorMinor(os.versionId) ?? (release ? `${release}.0` : undefined);
      return v ? [`Photon OS:${v}`] : [];
    }
    case 'amzn':
      return amazonEcosystems(os.versionId);
    case 'azurelinux':
    case 'mariner': {
      if (!release) return [];
      const v = majorMinor(os.versionId);
      return v && v !== release ? [`Azure Linux:${release}`, `Azure Linux:${v}`] : [`Azure Linux:${release}`];
    }
    default:
      return [];
  }
}

/** Architectures Oracle's feed files fixes under (`Oracle Linux arch is …`); a package of another asks them all. */
const ORACLE_ARCHES: readonly string[] = ['x86_64', 'aarch64', 'i386', 'i686', 'ppc64', 'ppc64le', 's390x', 'ia64'];
const ORACLE_SYSTEM_ARCHES = new Set(['x86_64', 'aarch64', 'ppc64', 'ppc64le', 's390x', 'ia64']);

/** Oracle Linux ecosystems for one package (module comment); without a package, the release's own. */
export function oracleEcosystems(os: OsRelease, pkg?: Package): string[] {
  const release = major(os.versionId);
  if (!release) return [];
  const base = oracleEcosystem(release, pkg ? oracleFlavour(pkg.version) : 'normal');
  if (!pkg) return [base];
  const arches = pkg.arch && ORACLE_SYSTEM_ARCHES.has(pkg.arch) ? [pkg.arch] : ORACLE_ARCHES;
  return [base, ...arches.map((arch) => `${base}:${arch}`)];
}

const MODULE_RELEASE = /\.module[+_]el\d/;

/** `{ name, stream }` of an rpm database `modularitylabel` (`nodejs:18:8090020231019152822:a75119d5`). */
export function parseModularityLabel(label: string | undefined): { name: string; stream: string } | undefined {
  const m = /^([^:\s]+):([^:\s]+)(?::|$)/.exec(label ?? '');
  return m ? { name: m[1]!, stream: m[2]! } : undefined;
}

/** The versions an entry names (fixed, last affected, introduced other than 0, listed). */
function entryVersions(affected: AffectedPackage): string[] {
  const out: string[] = [];
  for (const r of affected.ranges) {
    for (const e of r.events) {
      if ('fixed' in e) out.push(e.fixed);
      else if ('last_affected' in e) out.push(e.last_affected);
      else if ('introduced' in e && e.introduced !== '0') out.push(e.introduced);
    }
  }
  if (affected.versions) for (const v of affected.versions.slice(0, 64)) out.push(v);
  return out;
}

/** `18.19.0-1.module…` from `1:18.19.0-1.module…`. */
function withoutEpoch(version: string): string {
  return version.replace(/^\d+:/, '');
}

/**
 * Whether an affected entry may judge a package at all, by module stream
 * (see the module comment). `label` is the package's modularity label,
 * `installed` its EVR. An entry that names no version says nothing about
 * streams and applies.
 */
export function moduleStreamApplies(label: string | undefined, installed: string, affected: AffectedPackage): boolean {
  const versions = entryVersions(affected);
  if (versions.length === 0) return true;
  const entryModular = versions.some((v) => MODULE_RELEASE.test(v));
  const module = parseModularityLabel(label);
  const pkgModular = module !== undefined || MODULE_RELEASE.test(installed);
  if (entryModular !== pkgModular) return false;
  if (!module || !/^\d+(?:\.\d+)*$/.test(module.stream)) return true;
  const onStream = (v: string): boolean => {
    const bare = withoutEpoch(v);
    return bare === module.stream || bare.startsWith(`${module.stream}.`) || bare.startsWith(`${module.stream}-`);
  };
  // The installed version does not follow the stream's number (npm 10 in nodejs:20): the stream cannot be told apart.
  if (!onStream(installed)) return true;
  return versions.some(onStream);
}
