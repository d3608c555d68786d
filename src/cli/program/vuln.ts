/**
 * The commands of the vulnerability scanner: scan, db, ignore.
 */
import { Option, type Command } from 'commander';

import { addRegistryFlags, collect, REGISTRY_HELP, type CommandContext } from './common.js';

export function registerVulnCommands(program: Command, ctx: CommandContext): void {
  // ---------------------------------------------------------------- scan, db, ignore
  const SCAN_HELP = `
Targets (exactly one): IMAGE (any transport, see "Image names"), --sbom FILE
(CycloneDX, SPDX, Syft or portcullis JSON), or --rootfs DIR (an unpacked root
filesystem; symlinks are resolved inside DIR, never followed out of it).

Formats: table (grouped by target, by severity then package; colour on a
terminal), json (ScanResult schema v1, docs/scan.md), and every format of the
report writers (trivy-json, sarif, cyclonedx, junit, html, markdown).

Gate: --severity and --ignore-unfixed drop findings; the ignore file
(.portcullisignore in the current directory unless --ignorefile) and VEX
not_affected statements suppress them (kept in JSON with the reason);
--exit-code N exits N when unsuppressed findings remain. --kev and
--epss-threshold P narrow what fails to known-exploited findings (CISA KEV) or
those with an EPSS probability >= P (exit 1 unless --exit-code); asked of a
database without that data they exit 11 (fail closed).

Severity: the distributor's rating first for OS packages (Debian, Ubuntu, Red
Hat, SUSE; Alpine rates nothing, so NVD), GHSA then the ecosystem's database
then NVD for language packages; --severity-source nvd,auto changes the order.
JSON keeps every source's rating ("ratings") and "severitySource".

Incomplete scans: when a cataloguer fails, a package database cannot be read
(corrupt, over its size cap), the image is over 1,000 layers or 2,000,000 tar
entries (--max-layers, --max-entries or PORTCULLIS_MAX_* raise the caps) or the
distribution has no advisory data, findings may be missing. The scan then exits 12 and names every reason on stderr, even
with --exit-code 0 and no findings; the report carries them too (JSON
"incomplete", SARIF executionSuccessful false). --allow-incomplete turns them
into warnings and exits as the gate says.

The layer cache: what a scan saw of each layer is kept under the cache root's
layers/ folder, so the next scan of the image, or of one on the same base
layers, reads no layer it has seen and reports the same; "cache info|clean"
show and empty it, PORTCULLIS_LAYER_CACHE=off turns it off.

The advisory database: --db PATH, else PORTCULLIS_DB, else
~/.cache/portcullis/db/advisories.sqlite. None yet: the first scan downloads it
("db update", a progress bar on a terminal; or "db pull" of the signed artifact
named by --db-repository). Older than --db-max-age (24h): refreshed first; a
refresh that fails is a warning and the old database is used. --skip-db-update
and --offline never download: a missing database then exits 11 and says what to
run ("db import DIR", "db pull REF"), an old one is a warning. Feed mirrors:
PORTCULLIS_OSV_URL, PORTCULLIS_ALPINE_URL, PORTCULLIS_DEBIAN_URL, PORTCULLIS_NVD_URL,
PORTCULLIS_PHOTON_URL.`;

  addRegistryFlags(
    program
      .command('scan')
      .description('find known vulnerabilities in an image, an SBOM or a root filesystem; the CI gate')
      .argument('[image]', 'image name (see "Image names" below)')
      .option('--sbom <file>', 'scan the packages listed in an SBOM')
      .option('--rootfs <dir>', 'scan an unpacked root filesystem')
      .option('--db <path>', 'advisory database (default $PORTCULLIS_DB or ~/.cache/portcullis/db/advisories.sqlite)')
      .option('--offline', 'never touch the network (registry images are refused; the database is used as is, never downloaded)')
      .option('--skip-db-update', 'use the database as is: never download or refresh it')
      .option('--db-repository <ref>', 'get the database by pulling this signed artifact (db pull) instead of downloading the feeds (db update)')
      .option('--db-max-age <duration>', 'refresh the database (or, with --skip-db-update/--offline, warn) when older than this (default 24h)')
      .option('--format <format>', 'table, json, trivy-json, sarif, cyclonedx, junit, html or markdown', 'table')
      .option('-o, --output <file>', 'write the report to a file instead of standard output')
      .option('--severity <levels>', 'keep only these severities: comma list of CRITICAL,HIGH,MEDIUM,LOW,NEGLIGIBLE,UNKNOWN')
      .option('--severity-source <list>', 'rating sources in order, e.g. nvd,auto or debian,ghsa,nvd (default auto: the distributor first, docs/scan.md)')
      .option('--ignore-unfixed', 'drop vulnerabilities that have no fixed version yet')
      .option('--exit-code <n>', 'exit with N when vulnerabilities remain after filters (default 0; 1 with --kev or --epss-threshold)')
      .option('--kev', 'fail only on known-exploited findings (CISA KEV); exit 11 when the database has no KEV data')
      .option('--epss-threshold <p>', 'fail only on findings whose EPSS probability is at least P (0.1 or 10%); with --kev either fails')
      .option('--ignorefile <file>', 'ignore file (default ./.portcullisignore when it exists)')
      .option('--vex <file>', 'OpenVEX or CycloneDX VEX document; not_affected suppresses (repeatable)', collect)
      .addOption(new Option('--max-age <duration>', 'former name of --db-max-age').hideHelp())
      .option('--allow-incomplete', 'accept an incomplete scan (exit as the gate says, reasons as warnings) instead of exiting 12')
      .option('--max-layers <n>', 'layers the walk reads at most (default 1000, or $PORTCULLIS_MAX_LAYERS); more: incomplete')
      .option('--max-entries <n>', 'tar entries the walk visits at most, over all layers (default 2000000, or $PORTCULLIS_MAX_ENTRIES); more: incomplete')
      .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default: this host)')
      .option('-q, --quiet', 'no progress bars or warnings'),
  )
    .addHelpText(
      'after',
      `${REGISTRY_HELP}
${SCAN_HELP}

Examples:
  portcullis scan oci:examples/hello:latest     # a first run downloads the database
  portcullis scan docker-archive:app.tar --db-repository docker://registry.internal/portcullis/db:latest
  portcullis scan --rootfs ./rootfs --offline   # air-gapped: db import/pull it first
  portcullis scan docker://registry.example/app:1.0 --severity HIGH,CRITICAL --exit-code 1
  portcullis scan --sbom app.cdx.json --format sarif -o scan.sarif
  portcullis scan docker://registry.example/app:1.0 --kev --epss-threshold 0.1 --severity CRITICAL,HIGH
  portcullis scan --rootfs ./rootfs --ignore-unfixed --vex app.openvex.json --format json
  portcullis scan oci:./legacy:1.0 --allow-incomplete --format json -o report.json   # report what could be read`,
    )
    .action(async (image: string | undefined, options: import('../commands/scan.js').ScanOptions) => {
      const { scan } = await import('../commands/scan.js');
      ctx.exitCode = await scan(image, options, ctx.io);
    });

  const DB_HELP = `
The database: --db PATH, else PORTCULLIS_DB, else ~/.cache/portcullis/db/advisories.sqlite.
--db postgres://USER@HOST/DATABASE is a PostgreSQL advisory store (schema portcullis_advisories)
that every "serve --db postgres://…" reads: one import or update serves them all, CISA KEV and
EPSS data included.
Imports and updates are one transaction: an interrupted one leaves the old database usable.`;
  const DB_UPDATE_HELP = `Downloads use HTTPS_PROXY, HTTP_PROXY and NO_PROXY as curl and Go do, are capped in
size and time, and are retried on 429 and 5xx answers. Offline, the first feed that
cannot be reached fails the update with its cause (ECONNREFUSED, ENOTFOUND, TLS) and
exit 5; the database is left as it was (a first update leaves none). Mirrors:
the --*-url flags, else PORTCULLIS_OSV_URL, PORTCULLIS_ALPINE_URL,
PORTCULLIS_DEBIAN_URL, PORTCULLIS_NVD_URL, PORTCULLIS_PHOTON_URL, PORTCULLIS_AMAZON_URL,
PORTCULLIS_ORACLE_URL. Amazon Linux's advisories (ALAS) come from its yum
repositories: each mirror.list is followed to its repository's repomd.xml and
updateinfo.xml.gz; Oracle Linux's (ELSA) from Oracle's OVAL file
(com.oracle.elsa-all.xml.bz2). Details: docs/advisories.md.`;
  const DB_SIGN_HELP = `Signed databases: "db push --sign" signs the artifact's manifest digest as
"portcullis sign" signs an image. "db pull" verifies that signature under the
trust policy (the trust store's keys, --key, --policy) BEFORE the database is
read: unsigned, untrusted, or a tag moved to a manifest nobody signed exits 8;
layer bytes that do not match their digest exit 6; either way the database in
place stays byte for byte. --insecure-skip-verify skips this, loudly.`;
  const db = program.command('db').description('the advisory database: update, import, status, push and pull as an OCI artifact');
  const dbAction =
    <A extends unknown[]>(run: (mod: typeof import('../commands/db.js'), ...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      ctx.exitCode = await run(await import('../commands/db.js'), ...args);
    };
  db.command('update')
    .description('download OSV, Alpine secdb, the Debian tracker, NVD, Photon OS CVE data, Amazon Linux updateinfo, Oracle Linux ELSA OVAL, CISA KEV and EPSS (conditional requests, resumable) and import what changed')
    .option('--db <path>', 'advisory database')
    .option('--feeds <list>', 'comma list of osv, alpine, debian, nvd, photon, amazon, oracle, kev, epss, eol (default all; amazon = Amazon Linux ALAS, oracle = Oracle Linux ELSA, kev = CISA known exploited, epss = FIRST scores, eol = the end-of-life dates lint uses)')
    .option('--osv-ecosystems <list>', 'OSV ecosystems to download (default Go, PyPI, npm, Maven, crates.io, RubyGems, NuGet, Packagist, Ubuntu, …)')
    .option('--osv-url <url>', 'OSV mirror (<url>/<Ecosystem>/all.zip)')
    .option('--alpine-url <url>', 'Alpine secdb mirror (an index of v3.x/ and edge/)')
    .option('--debian-url <url>', 'Debian security tracker JSON')
    .option('--nvd-url <url>', 'NVD CVE API 2.0 endpoint (NVD_API_KEY raises the rate limit)')
    .option('--photon-url <url>', 'Photon OS CVE metadata directory (<url>/photon_versions.json, <url>/cve_data_photon<release>.json)')
    .option('--oracle-url <url>', 'Oracle Linux ELSA OVAL file, .xml.bz2, .xml.gz or .xml (default com.oracle.elsa-all.xml.bz2)')
    .option('--kev-url <url>', 'CISA Known Exploited Vulnerabilities catalog JSON (default CISA\'s feed)')
    .option('--epss-url <url>', 'FIRST EPSS scores, gzipped CSV (default epss_scores-current.csv.gz)')
    .option('--amazon-url <urls>', 'Amazon Linux mirror.list URLs, comma-separated, replacing the defaults (the AL1, AL2, AL2022 and AL2023 core repositories; list an AL2 Extras repository\'s too to read its ALAS)')
    .option('--eol-url <url>', 'endoflife.date API mirror (<url>/api/<product>.json)')
    .option('--offline', 'refuse (db update needs the network; use db import or db pull)')
    .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text'))
    .option('-q, --quiet', 'no progress bar or summary')
    .addHelpText('after', `${DB_HELP}\n${DB_UPDATE_HELP}\n\nExamples:\n  portcullis db update\n  portcullis db update --feeds osv,debian --osv-ecosystems PyPI,Go\n  portcullis db update --osv-url https://mirror.example/osv --nvd-url https://mirror.example/nvd`)
    .action(dbAction((m, options: import('../commands/db.js').DbUpdateOptions) => m.dbUpdate(options, ctx.io)));
  db.command('import')
    .description('import advisory files or trees (OSV JSON/YAML/all.zip, Alpine secdb, Debian tracker JSON, NVD API 2.0, yum updateinfo.xml(.gz) of Amazon Linux, Oracle ELSA OVAL .xml/.xml.bz2/.xml.gz, CISA KEV JSON, EPSS epss*.csv.gz) for air-gapped use')
    .argument('<paths...>', 'files or directories')
    .option('--db <path>', 'advisory database')
    .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text'))
    .option('-q, --quiet', 'no progress bar or summary')
    .addHelpText('after', `${DB_HELP}\n\nExamples:\n  portcullis db import ./osv/PyPI-all.zip ./debian-tracker.json\n  portcullis db import ./alpine-secdb/ --db ./advisories.sqlite\n  portcullis db import ./osv/ --db postgres://portcullis@db.internal/registry`)
    .action(dbAction((m, paths: string[], options: import('../commands/db.js').DbCommonOptions) => m.dbImport(paths, options, ctx.io)));
  db.command('status')
    .description('feeds, counts, last update; warns when older than --max-age')
    .option('--db <path>', 'advisory database')
    .option('--max-age <duration>', 'warn when the newest import is older than this (default 7d)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText('after', `${DB_HELP}\n\nExamples:\n  portcullis db status --max-age 2d`)
    .action(dbAction((m, options: import('../commands/db.js').DbStatusOptions) => m.dbStatusCommand(options, ctx.io)));
  addRegistryFlags(
    db
      .command('push')
      .description('push the database as an OCI artifact (application/vnd.portcullis.advisory-db.v1) to any registry or layout')
      .argument('<reference>', 'destination, e.g. docker://registry.example/portcullis/db:latest or oci:./mirror:db')
      .option('--db <path>', 'advisory database')
      .option('--sign', 'sign the pushed artifact as an image is signed (cosign tag layout + Sigstore bundle; registries only)')
      .option('--key <key>', 'with --sign: a trust store key id or a private key file (default: the repository key)')
      .option('--passphrase-file <file>', 'with --sign: read the key passphrase from this file')
      .addOption(new Option('--layout <layout>', 'with --sign: where the signature goes').choices(['tag', 'bundle', 'both']))
      .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text'))
      .option('-q, --quiet', 'no progress or summary'),
  )
    .addHelpText('after', `${REGISTRY_HELP}\n${DB_HELP}\n${DB_SIGN_HELP}\n\nExamples:\n  portcullis db push docker://registry.internal/portcullis/db:latest --sign\n  portcullis db push oci:./mirror:db   # unsigned: a layout holds no signatures`)
    .action(dbAction((m, ref: string, options: import('../commands/db.js').DbPushOptions) => m.dbPush(ref, options, ctx.io)));
  addRegistryFlags(
    db
      .command('pull')
      .description('pull a signed database artifact, verify its signature and digests, and swap it in atomically')
      .argument('<reference>', 'source, e.g. docker://registry.internal/portcullis/db:latest')
      .option('--db <path>', 'advisory database')
      .option('--key <file>', 'require a signature by this public key instead of the trust store (repeatable)', collect)
      .option('--policy <file>', 'trust policy (default $PORTCULLIS_HOME/policy.yaml when it exists)')
      .option('--insecure-skip-verify', 'use the artifact WITHOUT verifying its signature (a tampered database hides vulnerabilities)')
      .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text'))
      .option('-q, --quiet', 'no progress or summary'),
  )
    .addHelpText('after', `${REGISTRY_HELP}\n${DB_HELP}\n${DB_SIGN_HELP}\n\nExamples:\n  portcullis db pull docker://registry.internal/portcullis/db:latest\n  portcullis db pull docker://registry.internal/portcullis/db:latest --key db-signer.pub\n  portcullis db pull oci:./mirror:db --insecure-skip-verify`)
    .action(dbAction((m, ref: string, options: import('../commands/db.js').DbPullOptions) => m.dbPull(ref, options, ctx.io)));

  const ignore = program.command('ignore').description('the .portcullisignore file');
  ignore
    .command('export')
    .description('turn the ignore file into an OpenVEX document (one not_affected statement per unexpired entry)')
    .option('--ignorefile <file>', 'ignore file (default ./.portcullisignore)')
    .addOption(new Option('--format <format>', 'output format').choices(['openvex']).default('openvex'))
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .option('--author <name>', 'the document author (default "portcullis ignore export")')
    .option('--product <id>', 'product (e.g. pkg:oci/app@sha256:…) for entries with neither purl nor package')
    .option('--include-expired', 'also export expired entries')
    .addHelpText('after', '\nExamples:\n  portcullis ignore export --format openvex -o app.openvex.json\n  portcullis scan app:1.0 --vex app.openvex.json')
    .action(async (options: import('../commands/ignore.js').IgnoreExportOptions) => {
      const { ignoreExport } = await import('../commands/ignore.js');
      ctx.exitCode = await ignoreExport(options, ctx.io);
    });
}
