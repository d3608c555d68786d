/**
 * The commands that move and look at images: inspect, copy, sbom, lint, cat, login, logout, cache.
 */
import { Option, type Command } from 'commander';
import type { CatOptions } from '../commands/cat.js';
import type { SbomOptions } from '../commands/sbom.js';
import type { LintCommandOptions } from '../commands/lint.js';
import type { CopyCommandOptions } from '../commands/copy.js';
import type { InspectOptions } from '../commands/inspect.js';
import type { LoginCommandOptions } from '../commands/login.js';
import type { LogoutCommandOptions } from '../commands/logout.js';
import type { CacheCommandOptions } from '../commands/cache.js';
import { parseBooleanFlag, UsageError } from '../flags.js';
import { addRegistryFlags, REGISTRY_HELP, TRANSPORTS_HELP, type CommandContext } from './common.js';

export function registerImageCommands(program: Command, ctx: CommandContext): void {
  addRegistryFlags(
    program
      .command('inspect')
      .description('show an image: digest, platform, config, layers with sizes and history')
      .argument('<image>', 'image name (see "Image names" below)')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
      .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default: this host)')
      .option('--instance <digest>', 'pick the index entry with this digest')
      .option('--verify-layers', 'also download every layer: uncompressed sizes, diff_id and tar checks (by default only the manifest and config are read, as skopeo inspect does)')
      // The default since --verify-layers became opt-in; kept so scripts that pass it keep working.
      .addOption(new Option('--no-measure', 'do not download layers (the default)').hideHelp())
      .option('-q, --quiet', 'no progress bars'),
  )
    .addHelpText(
      'after',
      `${REGISTRY_HELP}
${TRANSPORTS_HELP}

Examples:
  portcullis inspect alpine:3.20
  portcullis inspect oci:./layout:latest --format json
  portcullis inspect ./image.tar --verify-layers
  portcullis inspect docker-archive:saved.tar:app:1.0 --platform linux/arm64`,
    )
    .action(async (image: string, options: InspectOptions) => {
      const { inspect } = await import('../commands/inspect.js');
      ctx.exitCode = await inspect(image, options, ctx.io);
    });

  addRegistryFlags(
    program
      .command('copy')
      .description('copy an image between any two transports, digests preserved (like skopeo copy)')
      .argument('<source>', 'source image name')
      .argument('<destination>', 'destination image name')
      .option('--all', 'copy every platform of an index, not only one')
      .option('--platform <os/arch[/variant]>', 'platform to copy from an index (default: this host)')
      .option('--src-tls-verify [bool]', 'TLS verification for the source only')
      .option('--dest-tls-verify [bool]', 'TLS verification for the destination only')
      .option('--src-cert-dir <dir>', 'certificates for the source only')
      .option('--dest-cert-dir <dir>', 'certificates for the destination only')
      .option('--src-creds <user:pass>', 'credentials for the source only')
      .option('--dest-creds <user:pass>', 'credentials for the destination only')
      .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text'))
      .option('-q, --quiet', 'no progress bars or summary')
      .option('--content-trust', 'verify the source\'s signatures first and copy the verified digest (also PORTCULLIS_CONTENT_TRUST=1)')
      .option('--disable-content-trust', 'skip signature verification and policy for this command (loudly)')
      .option('--notary-server <url>', 'Notary v1 server for Docker Content Trust (also PORTCULLIS_CONTENT_TRUST_SERVER, DOCKER_CONTENT_TRUST_SERVER; default https://REGISTRY)')
      .option('--policy <file>', 'trust policy (default ~/.portcullis/policy.yaml)'),
  )
    .addHelpText(
      'after',
      `${REGISTRY_HELP}
${TRANSPORTS_HELP}

Examples:
  PORTCULLIS_CONTENT_TRUST=1 portcullis copy docker://registry.example/app:1.0 oci:./app:1.0
  portcullis copy docker://registry.example/app:1.0 oci:./backup:app-1.0
  portcullis copy oci:./backup:app-1.0 docker://127.0.0.1:5000/app:1.0 --dest-tls-verify=false
  portcullis copy --all docker://docker.io/library/alpine:3.20 oci-archive:/tmp/alpine.tar`,
    )
    .action(async (src: string, dest: string, options: CopyCommandOptions) => {
      const { copy } = await import('../commands/copy.js');
      ctx.exitCode = await copy(src, dest, options, ctx.io);
    });

  addRegistryFlags(
    program
      .command('sbom')
      .description('list every OS and language package in an image, as a table or an SBOM')
      .argument('<image>', 'image name (see "Image names" below)')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'cyclonedx', 'spdx']).default('table'))
      .option('-o, --output <file>', 'write to a file instead of standard output')
      .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default: this host)')
      .option('--allow-incomplete', 'exit 0 with an incomplete inventory (reasons as warnings) instead of 12')
      .option('--max-layers <n>', 'layers the walk reads at most (default 1000, or $PORTCULLIS_MAX_LAYERS); more: incomplete')
      .option('--max-entries <n>', 'tar entries the walk visits at most, over all layers (default 2000000, or $PORTCULLIS_MAX_ENTRIES); more: incomplete')
      .option('-q, --quiet', 'no progress bars or warnings'),
  )
    .addHelpText(
      'after',
      `${REGISTRY_HELP}

Formats: table, json (portcullis inventory, schema version 1), cyclonedx (CycloneDX 1.6
JSON), spdx (SPDX 2.3 JSON). Every package records the layer that introduced it.

An incomplete inventory (a cataloguer failed, a package database could not be
read, the image is over 1,000 layers or 2,000,000 tar entries: see
--max-layers, --max-entries) is not a complete SBOM: the
document is written, marked incomplete (json "incomplete", CycloneDX/SPDX
"portcullis:incomplete"), the reasons go to stderr and sbom exits 12, unless
--allow-incomplete.

Examples:
  portcullis sbom oci:examples/hello:latest
  portcullis sbom docker://registry.example/app:1.0 --format cyclonedx -o app.cdx.json
  portcullis sbom oci:./legacy:1.0 --format json --allow-incomplete -o legacy.json`,
    )
    .action(async (image: string, options: SbomOptions) => {
      const { sbom } = await import('../commands/sbom.js');
      ctx.exitCode = await sbom(image, options, ctx.io);
    });

  addRegistryFlags(
    program
      .command('lint')
      .description('hygiene checks on an image or a Dockerfile: EOL base, stale image, unmanaged binaries, attack surface, root, secrets (also in deleted files), user data')
      .argument('[target]', 'an image name (see "Image names" below) or a Dockerfile path')
      .option('--explain [rule]', 'print what a rule checks and how to fix it, then exit (without RULE: list every rule)')
      .option('--dockerfile', 'treat TARGET as a Dockerfile (default: an existing file named *Dockerfile*/*Containerfile* or starting with FROM/ARG)')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'sarif']).default('table'))
      .option('-o, --output <file>', 'write the report to a file instead of standard output')
      .option('--severity <levels>', 'keep only these severities: comma list of CRITICAL,HIGH,MEDIUM,LOW,INFO')
      .option('--exit-code <n>', 'exit with N when findings remain after filters (default 0)')
      .option('--config <file>', 'configuration with a lint: section (default ./.portcullis.yaml when it exists)')
      .option('--ignorefile <file>', 'ignore file (default ./.portcullisignore when it exists); entries use rule ids')
      .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default: this host)')
      .option('--allow-incomplete', 'accept an incomplete package inventory (reasons as warnings) instead of exiting 12')
      .option('--max-layers <n>', 'layers the walk reads at most (default 1000, or $PORTCULLIS_MAX_LAYERS); more: exit 12')
      .option('--max-entries <n>', 'tar entries the walk visits at most, over all layers (default 2000000, or $PORTCULLIS_MAX_ENTRIES); more: exit 12')
      .option('-q, --quiet', 'no progress bars or warnings'),
  )
    .addHelpText(
      'after',
      `${REGISTRY_HELP}

Rules, severities and fixes: portcullis lint --explain [RULE] (docs/lint-rules.md in the
source); usage and configuration: docs/lint.md.
Image lint reads the package inventory (unmanaged binaries, EOL base, rebuild fixes):
when it is incomplete, lint exits 12 unless --allow-incomplete.
Inline ignores in a Dockerfile: "# portcullis-ignore RULE[,RULE] reason" on the line before.

Examples:
  portcullis lint oci:examples/hello:latest
  portcullis lint docker://registry.example/app:1.0 --severity CRITICAL,HIGH --exit-code 1
  portcullis lint ./Dockerfile --format sarif -o lint.sarif
  portcullis lint build/app.containerfile --dockerfile --config ci/portcullis.yaml
  portcullis lint oci:./legacy:1.0 --allow-incomplete
  portcullis lint --explain dockerfile/pipe-to-shell`,
    )
    .action(async (target: string | undefined, options: LintCommandOptions) => {
      if (options.explain !== undefined) {
        const { lintExplain } = await import('../commands/lint-explain.js');
        ctx.exitCode = lintExplain(typeof options.explain === 'string' ? options.explain : undefined, ctx.io);
        return;
      }
      if (target === undefined) throw new UsageError('lint needs a TARGET: an image name or a Dockerfile (or --explain RULE)');
      const { lint } = await import('../commands/lint.js');
      ctx.exitCode = await lint(target, options, ctx.io);
    });

  addRegistryFlags(
    program
      .command('cat')
      .description("print one file of an image's merged filesystem, without running or unpacking it")
      .argument('<image>', 'image name (see "Image names" below)')
      .argument('<path>', 'absolute path inside the image, e.g. /etc/os-release')
      .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default: this host)')
      .option('--max-size <size>', 'refuse files larger than this (default 16M)')
      .option('-q, --quiet', 'no progress bars'),
  )
    .addHelpText(
      'after',
      `${REGISTRY_HELP}

Symlinks are followed inside the image's own root, never on this machine.

Examples:
  portcullis cat oci:examples/hello:latest /etc/os-release
  portcullis cat docker://registry.example/app:1.0 /app/package.json --max-size 1M`,
    )
    .action(async (image: string, path: string, options: CatOptions) => {
      const { cat } = await import('../commands/cat.js');
      ctx.exitCode = await cat(image, path, options, ctx.io);
    });

  program
    .command('login')
    .description('save credentials for a registry (in the auth file skopeo/podman/docker read)')
    .argument('<registry>', 'registry host[:port]')
    .option('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--authfile <file>', 'auth file to write')
    .option('--tls-verify [bool]', 'require HTTPS and verify certificates (default true; a loopback registry may still answer plain HTTP unless =true is given)', (v: string) => parseBooleanFlag(v, 'tls-verify'))
    .option('--cert-dir <dir>', 'directory with CA certificates')
    .addHelpText('after', '\nExamples:\n  echo "$TOKEN" | portcullis login registry.example -u ci --password-stdin')
    .action(async (registry: string, options: LoginCommandOptions) => {
      const { login } = await import('../commands/login.js');
      ctx.exitCode = await login(registry, options, ctx.io);
    });

  program
    .command('logout')
    .description('remove saved credentials for a registry')
    .argument('[registry]', 'registry host[:port]')
    .option('-a, --all', 'remove the credentials of every registry')
    .option('--authfile <file>', 'auth file to change')
    .action(async (registry: string | undefined, options: LogoutCommandOptions) => {
      const { logout } = await import('../commands/logout.js');
      ctx.exitCode = await logout(registry, options, ctx.io);
    });

  const cache = program
    .command('cache')
    .description('the local caches (registry blobs, layer analyses): where they are, their size, emptying them')
    .addHelpText(
      'after',
      `
The cache keeps verified registry blobs (layers, configs) under
$PORTCULLIS_CACHE_DIR, else $XDG_CACHE_HOME/portcullis, else ~/.cache/portcullis.
It is bounded: past PORTCULLIS_CACHE_MAX_SIZE (default 2G) the least recently
used blobs are removed after each command that added some. Beside it, layers/
keeps what scan saw of each layer (at most 512M, least recently used out first;
PORTCULLIS_LAYER_CACHE=off turns it off), so a second scan reads no layer again.`,
    );
  cache
    .command('info')
    .description('location, size, number of blobs and layer analyses, limits, last use')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (options: CacheCommandOptions) => {
      const { cacheInfoCommand } = await import('../commands/cache.js');
      ctx.exitCode = await cacheInfoCommand(options, ctx.io);
    });
  cache
    .command('clean')
    .description('remove cached blobs and layer analyses: all (the default), those unused for a while, or the least recently used down to a size')
    .option('--all', 'remove every blob (the default without other flags)')
    .option('--older-than <age>', 'remove blobs not used for this long (e.g. 12h, 7d, 2w)')
    .option('--max-size <size>', 'remove the least recently used blobs until the blob cache is this small, and layer analyses likewise (e.g. 500M, 2G)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nThe advisory database is not a cache entry and is never removed here.\n\nExamples:\n  portcullis cache clean\n  portcullis cache clean --older-than 7d\n  portcullis cache clean --max-size 500M')
    .action(async (options: CacheCommandOptions) => {
      const { cacheCleanCommand } = await import('../commands/cache.js');
      ctx.exitCode = await cacheCleanCommand(options, ctx.io);
    });
}
