/**
 * The command table: flags and help text only. Each action lazy-imports its
 * command module, so `portcullis --help` loads nothing else.
 */
import { Command, Option } from 'commander';
import { parseBooleanFlag } from './context.js';
import type { CatOptions } from './commands/cat.js';
import type { CopyCommandOptions } from './commands/copy.js';
import type { InspectOptions } from './commands/inspect.js';
import type { LoginCommandOptions } from './commands/login.js';
import type { LogoutCommandOptions } from './commands/logout.js';
import type { OutputStreams } from './output.js';

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
      .option('-q, --quiet', 'no progress bars or summary'),
  )
    .addHelpText(
      'after',
      `${REGISTRY_HELP}
${TRANSPORTS_HELP}

Examples:
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

  return program;
}
