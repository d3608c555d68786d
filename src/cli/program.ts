/**
 * The command table: flags and help text only. Each action lazy-imports its
 * command module, so `portcullis --help` loads nothing else.
 */
import { Command, Option } from 'commander';
import { parseBooleanFlag } from './context.js';
import type { CatOptions } from './commands/cat.js';
import type { SbomOptions } from './commands/sbom.js';
import type { LintCommandOptions } from './commands/lint.js';
import type { CopyCommandOptions } from './commands/copy.js';
import type { InspectOptions } from './commands/inspect.js';
import type { LoginCommandOptions } from './commands/login.js';
import type { LogoutCommandOptions } from './commands/logout.js';
import type { OutputStreams } from './output.js';
import type { SignCommandOptions } from './commands/sign.js';
import type { VerifyCommandOptions } from './commands/verify.js';
import type { AttestCommandOptions } from './commands/attest.js';
import type { VerifyAttestationOptions } from './commands/verify-attestation.js';
import type { PullCommandOptions } from './commands/pull.js';
import type { KeyCommandOptions } from './commands/key.js';

type ExitAwareCommand = Command & { exitCodeValue(): number };

const REGISTRY_HELP = `
Registry flags (as in skopeo):
  --tls-verify=false   allow plain HTTP and unverified TLS
  --cert-dir DIR       CA certificates (*.crt) and client pairs (*.cert/*.key)
  --creds USER:PASS    credentials (otherwise from --authfile, REGISTRY_AUTH_FILE,
                       containers auth.json or ~/.docker/config.json)
  --authfile FILE      auth file to read`;

const TRANSPORTS_HELP = `
Image names:
  docker://HOST/REPO[:TAG|@DIGEST]   a registry (a bare name like alpine means
                                     docker://docker.io/library/alpine:latest)
  oci:DIR[:REF]                      an OCI image layout directory
  oci-archive:FILE[:REF]             a tar of an OCI image layout
  docker-archive:FILE[:REF|@N]       the output of docker save`;

function addRegistryFlags(command: Command): Command {
  return command
    .option('--tls-verify [bool]', 'require HTTPS and verify certificates (default true)', (v: string) => parseBooleanFlag(v, 'tls-verify'))
    .option('--cert-dir <dir>', 'directory with CA certificates and client certificate pairs')
    .option('--creds <user:pass>', 'registry credentials')
    .option('--authfile <file>', 'auth file (docker config.json or containers auth.json format)')
    .option('--timeout <seconds>', 'per-request inactivity timeout')
    .option('--retries <n>', 'retries for 429/5xx/connection resets');
}

export function buildProgram(io: OutputStreams): ExitAwareCommand {
  let exitCode = 0;
  const program = new Command() as ExitAwareCommand;
  program.exitCodeValue = () => exitCode;
  program
    .name('portcullis')
    .description('Container image security: is it authentic, is it vulnerable?')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `${TRANSPORTS_HELP}

Exit codes: 0 ok, 1 findings/verification failed, 2 usage, 3 not found,
4 auth, 5 network/TLS, 6 integrity (digest mismatch, corrupt or hostile
content), 7 unsupported input, 8 content trust refused, 9 destination exists,
10 local I/O, 11 advisory database missing or unusable, 130 interrupted,
70 internal error. See docs/exit-codes.md.

Examples:
  portcullis inspect oci:examples/hello:latest
  portcullis inspect docker://127.0.0.1:5000/app:1.0 --tls-verify=false --format json
  portcullis copy oci:examples/hello:latest docker-archive:/tmp/hello.tar:hello:latest`,
    );

  addRegistryFlags(
    program
      .command('inspect')
      .description('show an image: digest, platform, config, layers with sizes and history')
      .argument('<image>', 'image name (see "Image names" below)')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
      .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default: this host)')
      .option('--instance <digest>', 'pick the index entry with this digest')
      .option('--no-measure', 'do not download layers (no uncompressed sizes, no layer checks)')
      .option('-q, --quiet', 'no progress bars'),
  )
    .addHelpText(
      'after',
      `${REGISTRY_HELP}
${TRANSPORTS_HELP}

Examples:
  portcullis inspect alpine:3.20
  portcullis inspect oci:./layout:latest --format json
  portcullis inspect docker-archive:saved.tar:app:1.0 --platform linux/arm64`,
    )
    .action(async (image: string, options: InspectOptions) => {
      const { inspect } = await import('./commands/inspect.js');
      exitCode = await inspect(image, options, io);
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
      const { copy } = await import('./commands/copy.js');
      exitCode = await copy(src, dest, options, io);
    });

  addRegistryFlags(
    program
      .command('sbom')
      .description('list every OS and language package in an image, as a table or an SBOM')
      .argument('<image>', 'image name (see "Image names" below)')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'cyclonedx', 'spdx']).default('table'))
      .option('-o, --output <file>', 'write to a file instead of standard output')
      .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default: this host)')
      .option('-q, --quiet', 'no progress bars or warnings'),
  )
    .addHelpText(
      'after',
      `${REGISTRY_HELP}

Formats: table, json (portcullis inventory, schema version 1), cyclonedx (CycloneDX 1.6
JSON), spdx (SPDX 2.3 JSON). Every package records the layer that introduced it.

Examples:
  portcullis sbom oci:examples/hello:latest
  portcullis sbom docker://registry.example/app:1.0 --format cyclonedx -o app.cdx.json`,
    )
    .action(async (image: string, options: SbomOptions) => {
      const { sbom } = await import('./commands/sbom.js');
      exitCode = await sbom(image, options, io);
    });

  addRegistryFlags(
    program
      .command('lint')
      .description('hygiene checks on an image or a Dockerfile: EOL base, stale image, unmanaged binaries, attack surface, root, secrets (also in deleted files), user data')
      .argument('<target>', 'an image name (see "Image names" below) or a Dockerfile path')
      .option('--dockerfile', 'treat TARGET as a Dockerfile (default: an existing file named *Dockerfile*/*Containerfile* or starting with FROM/ARG)')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'sarif']).default('table'))
      .option('-o, --output <file>', 'write the report to a file instead of standard output')
      .option('--severity <levels>', 'keep only these severities: comma list of CRITICAL,HIGH,MEDIUM,LOW,INFO')
      .option('--exit-code <n>', 'exit with N when findings remain after filters (default 0)')
      .option('--config <file>', 'configuration with a lint: section (default ./.portcullis.yaml when it exists)')
      .option('--ignorefile <file>', 'ignore file (default ./.portcullisignore when it exists); entries use rule ids')
      .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default: this host)')
      .option('-q, --quiet', 'no progress bars or warnings'),
  )
    .addHelpText(
      'after',
      `${REGISTRY_HELP}

Rules, severities and fixes: docs/lint-rules.md; usage and configuration: docs/lint.md.
Inline ignores in a Dockerfile: "# portcullis-ignore RULE[,RULE] reason" on the line before.

Examples:
  portcullis lint oci:examples/hello:latest
  portcullis lint docker://registry.example/app:1.0 --severity CRITICAL,HIGH --exit-code 1
  portcullis lint ./Dockerfile --format sarif -o lint.sarif
  portcullis lint build/app.containerfile --dockerfile --config ci/portcullis.yaml`,
    )
    .action(async (target: string, options: LintCommandOptions) => {
      const { lint } = await import('./commands/lint.js');
      exitCode = await lint(target, options, io);
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
      const { cat } = await import('./commands/cat.js');
      exitCode = await cat(image, path, options, io);
    });

  program
    .command('login')
    .description('save credentials for a registry (in the auth file skopeo/podman/docker read)')
    .argument('<registry>', 'registry host[:port]')
    .option('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--authfile <file>', 'auth file to write')
    .option('--tls-verify [bool]', 'require HTTPS and verify certificates (default true)', (v: string) => parseBooleanFlag(v, 'tls-verify'))
    .option('--cert-dir <dir>', 'directory with CA certificates')
    .addHelpText('after', '\nExamples:\n  echo "$TOKEN" | portcullis login registry.example -u ci --password-stdin')
    .action(async (registry: string, options: LoginCommandOptions) => {
      const { login } = await import('./commands/login.js');
      exitCode = await login(registry, options, io);
    });

  program
    .command('logout')
    .description('remove saved credentials for a registry')
    .argument('[registry]', 'registry host[:port]')
    .option('-a, --all', 'remove the credentials of every registry')
    .option('--authfile <file>', 'auth file to change')
    .action(async (registry: string | undefined, options: LogoutCommandOptions) => {
      const { logout } = await import('./commands/logout.js');
      exitCode = await logout(registry, options, io);
    });

  const PASSPHRASE_HELP = `
Passphrases: --passphrase-file FILE (repository key), --root-passphrase-file FILE,
or PORTCULLIS_REPOSITORY_PASSPHRASE / PORTCULLIS_ROOT_PASSPHRASE, or a no-echo
prompt on the terminal. They are never printed.`;
  const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
  const addPassphraseFlags = (command: Command): Command =>
    command
      .option('--passphrase-file <file>', 'passphrase of the repository key (first line)')
      .option('--root-passphrase-file <file>', 'passphrase of the root key (first line)');

  addRegistryFlags(
    addPassphraseFlags(
      program
        .command('sign')
        .description('sign an image\'s manifest digest with the repository key and push the signature (cosign tag layout and Sigstore bundle)')
        .argument('<image>', 'registry image: [docker://]HOST/REPO[:TAG|@DIGEST]')
        .option('--key <id>', 'key to sign with: id, id prefix or "repository" (default)')
        .option('-a, --annotation <key=value>', 'annotation in the signed payload (repeatable)', collect)
        .addOption(new Option('--layout <layout>', 'where to store the signature').choices(['tag', 'bundle', 'both']).default('both'))
        .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text')),
    ),
  )
    .addHelpText('after', `${REGISTRY_HELP}
${PASSPHRASE_HELP}

Examples:
  portcullis sign registry.example/team/app:1.0
  PORTCULLIS_REPOSITORY_PASSPHRASE=... portcullis sign 127.0.0.1:5000/app:1.0 --tls-verify=false --layout tag`)
    .action(async (image: string, options: SignCommandOptions) => {
      const { sign } = await import('./commands/sign.js');
      exitCode = await sign(image, options, io);
    });

  addRegistryFlags(
    program
      .command('verify')
      .description('verify an image\'s signatures (both layouts) against the trust store, --key files or a policy; exit 0 only when verified')
      .argument('<image>', 'registry image: [docker://]HOST/REPO[:TAG|@DIGEST]')
      .option('--key <file>', 'PEM public key (cosign.pub or `key export`) that must have signed (repeatable)', collect)
      .option('--policy <file>', 'trust policy (default ~/.portcullis/policy.yaml)')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table')),
  )
    .addHelpText('after', `${REGISTRY_HELP}

Exit codes: 0 verified, 1 not verified (the unmet requirement is named on stderr).

Examples:
  portcullis verify registry.example/team/app:1.0
  portcullis verify registry.example/team/app:1.0 --key cosign.pub --format json
  portcullis verify registry.example/team/app@sha256:... --policy policy.yaml`)
    .action(async (image: string, options: VerifyCommandOptions) => {
      const { verify } = await import('./commands/verify.js');
      exitCode = await verify(image, options, io);
    });

  addRegistryFlags(
    addPassphraseFlags(
      program
        .command('attest')
        .description('attach a signed in-toto attestation (DSSE) to an image: an SBOM, a scan result or custom data')
        .argument('<image>', 'registry image: [docker://]HOST/REPO[:TAG|@DIGEST]')
        .addOption(new Option('--type <type>', 'kind of predicate').choices(['sbom', 'vuln', 'custom']))
        .option('--predicate <file>', 'the predicate: SBOM (CycloneDX/SPDX JSON), scan result JSON, or any data')
        .option('--predicate-type <uri>', 'override the predicate type URI')
        .option('--key <id>', 'key to sign with (default: the repository key)')
        .addOption(new Option('--layout <layout>', 'where to store the attestation').choices(['tag', 'bundle', 'both']).default('both'))
        .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text')),
    ),
  )
    .addHelpText('after', `${REGISTRY_HELP}
${PASSPHRASE_HELP}

Examples:
  portcullis attest registry.example/app:1.0 --type sbom --predicate sbom.cdx.json
  portcullis attest registry.example/app:1.0 --type vuln --predicate scan.json`)
    .action(async (image: string, options: AttestCommandOptions) => {
      const { attest } = await import('./commands/attest.js');
      exitCode = await attest(image, options, io);
    });

  addRegistryFlags(
    program
      .command('verify-attestation')
      .description('verify that a valid attestation of a type exists for an image; exit 0 only when it does')
      .argument('<image>', 'registry image: [docker://]HOST/REPO[:TAG|@DIGEST]')
      .option('--type <type>', 'sbom, vuln, custom or a predicate type URI', 'vuln')
      .option('--key <file>', 'PEM public key that must have signed (repeatable; default: trust-store keys)', collect)
      .option('--max-age <duration>', 'the attestation must be younger than this (12h, 7d, 2w)')
      .option('--condition <text>', 'e.g. "no CRITICAL finding"')
      .option('--policy <file>', 'trust policy whose key files to use')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table')),
  )
    .addHelpText('after', `${REGISTRY_HELP}

Examples:
  portcullis verify-attestation registry.example/app:1.0 --type vuln --max-age 7d --condition "no CRITICAL finding"`)
    .action(async (image: string, options: VerifyAttestationOptions) => {
      const { verifyAttestation } = await import('./commands/verify-attestation.js');
      exitCode = await verifyAttestation(image, options, io);
    });

  addRegistryFlags(
    program
      .command('pull')
      .description('copy a registry image into a local OCI layout (content trust applies: PORTCULLIS_CONTENT_TRUST=1 or --content-trust)')
      .argument('<image>', 'registry image: [docker://]HOST/REPO[:TAG|@DIGEST]')
      .argument('[destination]', 'destination (default oci:./<repo-name>:<tag>)')
      .option('--all', 'copy every platform of an index')
      .option('--platform <os/arch[/variant]>', 'platform to copy from an index (default: this host)')
      .option('--content-trust', 'verify signatures first and copy the verified digest')
      .option('--disable-content-trust', 'skip signature verification and policy for this command (loudly)')
      .option('--policy <file>', 'trust policy (default ~/.portcullis/policy.yaml)')
      .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text'))
      .option('-q, --quiet', 'no progress bars or summary'),
  )
    .addHelpText('after', `${REGISTRY_HELP}

Examples:
  PORTCULLIS_CONTENT_TRUST=1 portcullis pull registry.example/team/app:1.0
  portcullis pull 127.0.0.1:5000/app:1.0 oci:/tmp/app:1.0 --tls-verify=false --content-trust`)
    .action(async (image: string, dest: string | undefined, options: PullCommandOptions) => {
      const { pull } = await import('./commands/pull.js');
      exitCode = await pull(image, dest, options, io);
    });

  const key = program.command('key').description('manage signing keys: root and repository keys, certification, revocation, backup');
  const keyAction =
    <A extends unknown[]>(run: (mod: typeof import('./commands/key.js'), ...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      exitCode = await run(await import('./commands/key.js'), ...args);
    };
  addPassphraseFlags(
    key
      .command('generate')
      .description('create the root key (if missing) and a repository key certified by it')
      .addOption(new Option('--algorithm <alg>', 'key algorithm').choices(['ecdsa-p256', 'ed25519', 'rsa-3072']))
      .option('--repositories <glob...>', 'repositories the new key may sign for (default **)')
      .option('--root', 'only create the root key'),
  )
    .addHelpText('after', `${PASSPHRASE_HELP}\n\nExamples:\n  portcullis key generate --repositories 'registry.example/team/*'`)
    .action(keyAction((m, options: KeyCommandOptions) => m.keyGenerate(options, io)));
  key
    .command('list')
    .description('list keys: role, algorithm, certification, revocation')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(keyAction((m, options: KeyCommandOptions) => m.keyList(options, io)));
  key
    .command('export')
    .description('print a public key (PEM, PKIX — usable as cosign.pub); default the repository key')
    .argument('[key]', 'key id, id prefix, root or repository')
    .option('--root', 'export the root key')
    .action(keyAction((m, ref: string | undefined, options: KeyCommandOptions) => m.keyExport(ref, options, io)));
  addPassphraseFlags(
    key
      .command('import')
      .description('import a key: cosign.key / cosign.pub, PKCS#8, SEC 1, PKCS#1, our encrypted format')
      .argument('<file>', 'key file')
      .addOption(new Option('--role <role>', 'role of the imported key').choices(['root', 'repository']).default('repository'))
      .option('--repositories <glob...>', 'certify the imported repository key for these (needs the root passphrase)')
      .option('--import-passphrase-file <file>', 'passphrase of the encrypted key being imported (else COSIGN_PASSWORD, else a prompt)'),
  )
    .action(keyAction((m, file: string, options: KeyCommandOptions) => m.keyImport(file, options, io)));
  addPassphraseFlags(
    key.command('certify').description('certify a repository key for repository globs (root signs)').argument('<key>', 'key id or prefix').option('--repositories <glob...>', 'repository globs'),
  ).action(keyAction((m, ref: string, options: KeyCommandOptions) => m.keyCertify(ref, options, io)));
  addPassphraseFlags(
    key
      .command('rotate')
      .description('replace a repository key: new key certified for the same repositories, old key revoked')
      .argument('[key]', 'key to replace (default the repository key)')
      .addOption(new Option('--algorithm <alg>', 'algorithm of the new key').choices(['ecdsa-p256', 'ed25519', 'rsa-3072']))
      .option('--repositories <glob...>', 'repositories of the new key (default: the old key\'s)')
      .option('--keep-old', 'do not revoke the old key'),
  ).action(keyAction((m, ref: string | undefined, options: KeyCommandOptions) => m.keyRotate(ref, options, io)));
  addPassphraseFlags(
    key.command('revoke').description('revoke a repository key: its signatures stop verifying').argument('<key>', 'key id or prefix').option('--reason <text>', 'recorded reason'),
  ).action(keyAction((m, ref: string, options: KeyCommandOptions) => m.keyRevoke(ref, options, io)));
  key
    .command('backup')
    .description('write the whole trust store as one JSON bundle (private keys stay encrypted)')
    .option('-o, --output <file>', 'file to write (mode 0600; default stdout)')
    .action(keyAction((m, options: KeyCommandOptions) => m.keyBackup(options, io)));
  key
    .command('restore')
    .description('restore the trust store from a backup bundle')
    .argument('<file>', 'backup file')
    .option('--force', 'replace a store that has keys (the old one is moved aside)')
    .action(keyAction((m, file: string, options: KeyCommandOptions) => m.keyRestore(file, options, io)));

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
--exit-code N exits N when unsuppressed findings remain.

The advisory database: --db PATH, else PORTCULLIS_DB, else
~/.cache/portcullis/db/advisories.sqlite. A missing database exits 11 and says
what to run; an old one (see --max-age) is a warning.`;

  addRegistryFlags(
    program
      .command('scan')
      .description('find known vulnerabilities in an image, an SBOM or a root filesystem; the CI gate')
      .argument('[image]', 'image name (see "Image names" below)')
      .option('--sbom <file>', 'scan the packages listed in an SBOM')
      .option('--rootfs <dir>', 'scan an unpacked root filesystem')
      .option('--db <path>', 'advisory database (default $PORTCULLIS_DB or ~/.cache/portcullis/db/advisories.sqlite)')
      .option('--offline', 'never touch the network (registry images are refused; the database is used as is)')
      .option('--format <format>', 'table, json, trivy-json, sarif, cyclonedx, junit, html or markdown', 'table')
      .option('-o, --output <file>', 'write the report to a file instead of standard output')
      .option('--severity <levels>', 'keep only these severities: comma list of CRITICAL,HIGH,MEDIUM,LOW,NEGLIGIBLE,UNKNOWN')
      .option('--ignore-unfixed', 'drop vulnerabilities that have no fixed version yet')
      .option('--exit-code <n>', 'exit with N when vulnerabilities remain after filters (default 0)')
      .option('--ignorefile <file>', 'ignore file (default ./.portcullisignore when it exists)')
      .option('--vex <file>', 'OpenVEX or CycloneDX VEX document; not_affected suppresses (repeatable)', collect)
      .option('--max-age <duration>', 'warn when the database is older than this (default 7d)')
      .option('--platform <os/arch[/variant]>', 'platform to pick from an index (default: this host)')
      .option('-q, --quiet', 'no progress bars or warnings'),
  )
    .addHelpText(
      'after',
      `${REGISTRY_HELP}
${SCAN_HELP}

Examples:
  portcullis db update && portcullis scan oci:examples/hello:latest
  portcullis scan docker://registry.example/app:1.0 --severity HIGH,CRITICAL --exit-code 1
  portcullis scan --sbom app.cdx.json --format sarif -o scan.sarif
  portcullis scan --rootfs ./rootfs --ignore-unfixed --vex app.openvex.json --format json`,
    )
    .action(async (image: string | undefined, options: import('./commands/scan.js').ScanOptions) => {
      const { scan } = await import('./commands/scan.js');
      exitCode = await scan(image, options, io);
    });

  const DB_HELP = `
The database: --db PATH, else PORTCULLIS_DB, else ~/.cache/portcullis/db/advisories.sqlite.
Imports and updates are one transaction: an interrupted one leaves the old database usable.`;
  const db = program.command('db').description('the advisory database: update, import, status, push and pull as an OCI artifact');
  const dbAction =
    <A extends unknown[]>(run: (mod: typeof import('./commands/db.js'), ...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      exitCode = await run(await import('./commands/db.js'), ...args);
    };
  db.command('update')
    .description('download OSV, Alpine secdb, the Debian tracker and NVD (conditional requests, resumable) and import what changed')
    .option('--db <path>', 'advisory database')
    .option('--feeds <list>', 'comma list of osv, alpine, debian, nvd, eol (default all; eol = the end-of-life dates lint uses)')
    .option('--osv-ecosystems <list>', 'OSV ecosystems to download (default Go, PyPI, npm, Maven, crates.io, RubyGems, NuGet, Packagist, Ubuntu, …)')
    .option('--osv-url <url>', 'OSV mirror (<url>/<Ecosystem>/all.zip)')
    .option('--alpine-url <url>', 'Alpine secdb mirror (an index of v3.x/ and edge/)')
    .option('--debian-url <url>', 'Debian security tracker JSON')
    .option('--nvd-url <url>', 'NVD CVE API 2.0 endpoint (NVD_API_KEY raises the rate limit)')
    .option('--eol-url <url>', 'endoflife.date API mirror (<url>/api/<product>.json)')
    .option('--offline', 'refuse (db update needs the network; use db import or db pull)')
    .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text'))
    .option('-q, --quiet', 'no progress bar or summary')
    .addHelpText('after', `${DB_HELP}\n\nExamples:\n  portcullis db update\n  portcullis db update --feeds osv,debian --osv-ecosystems PyPI,Go\n  portcullis db update --osv-url https://mirror.example/osv --nvd-url https://mirror.example/nvd`)
    .action(dbAction((m, options: import('./commands/db.js').DbUpdateOptions) => m.dbUpdate(options, io)));
  db.command('import')
    .description('import advisory files or trees (OSV JSON/YAML/all.zip, Alpine secdb, Debian tracker JSON, NVD API 2.0) for air-gapped use')
    .argument('<paths...>', 'files or directories')
    .option('--db <path>', 'advisory database')
    .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text'))
    .option('-q, --quiet', 'no progress bar or summary')
    .addHelpText('after', `${DB_HELP}\n\nExamples:\n  portcullis db import ./osv/PyPI-all.zip ./debian-tracker.json\n  portcullis db import ./alpine-secdb/ --db ./advisories.sqlite`)
    .action(dbAction((m, paths: string[], options: import('./commands/db.js').DbCommonOptions) => m.dbImport(paths, options, io)));
  db.command('status')
    .description('feeds, counts, last update; warns when older than --max-age')
    .option('--db <path>', 'advisory database')
    .option('--max-age <duration>', 'warn when the newest import is older than this (default 7d)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText('after', `${DB_HELP}\n\nExamples:\n  portcullis db status --max-age 2d`)
    .action(dbAction((m, options: import('./commands/db.js').DbStatusOptions) => m.dbStatusCommand(options, io)));
  addRegistryFlags(
    db
      .command('push')
      .description('push the database as an OCI artifact (application/vnd.portcullis.advisory-db.v1) to any registry or layout')
      .argument('<reference>', 'destination, e.g. docker://registry.example/portcullis/db:latest or oci:./mirror:db')
      .option('--db <path>', 'advisory database')
      .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text'))
      .option('-q, --quiet', 'no progress or summary'),
  )
    .addHelpText('after', `${REGISTRY_HELP}\n${DB_HELP}\n\nExamples:\n  portcullis db push docker://registry.internal/portcullis/db:latest`)
    .action(dbAction((m, ref: string, options: import('./commands/db.js').DbArtifactCommandOptions) => m.dbPush(ref, options, io)));
  addRegistryFlags(
    db
      .command('pull')
      .description('pull a database artifact, verify its digests and swap it in atomically')
      .argument('<reference>', 'source, e.g. docker://registry.internal/portcullis/db:latest')
      .option('--db <path>', 'advisory database')
      .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text'))
      .option('-q, --quiet', 'no progress or summary'),
  )
    .addHelpText('after', `${REGISTRY_HELP}\n${DB_HELP}\n\nExamples:\n  portcullis db pull docker://registry.internal/portcullis/db:latest --tls-verify=false`)
    .action(dbAction((m, ref: string, options: import('./commands/db.js').DbArtifactCommandOptions) => m.dbPull(ref, options, io)));

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
    .action(async (options: import('./commands/ignore.js').IgnoreExportOptions) => {
      const { ignoreExport } = await import('./commands/ignore.js');
      exitCode = await ignoreExport(options, io);
    });

  return program;
}
