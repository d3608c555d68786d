/**
 * The command table: flags and help text only, one file per area under
 * program/. Each action lazy-imports its command module, so `portcullis
 * --help` loads nothing else.
 */
import { Command } from 'commander';
import type { OutputStreams } from './output.js';
import { TRANSPORTS_HELP, type CommandContext } from './program/common.js';
import { registerImageCommands } from './program/image.js';
import { registerTrustCommands } from './program/trust.js';
import { registerPolicyCommands } from './program/policy.js';
import { registerVulnCommands } from './program/vuln.js';
import { registerRegistryCommands } from './program/registry.js';
import { registerRegistryAdminCommands } from './program/registry-admin.js';
import { registerRegistryWebhookCommands } from './program/registry-webhook.js';
import { registerRegistryAuditCommand } from './program/registry-audit.js';
import { VERSION } from './version.js';

type ExitAwareCommand = Command & { exitCodeValue(): number };

export function buildProgram(io: OutputStreams): ExitAwareCommand {
  const ctx: CommandContext = { io, exitCode: 0 };
  const program = new Command() as ExitAwareCommand;
  program.exitCodeValue = () => ctx.exitCode;
  program
    .name('portcullis')
    .description('Container image security: is it authentic, is it vulnerable?')
    .version(VERSION)
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
10 local I/O, 11 advisory database missing or unusable, 12 incomplete scan
(findings may be missing; --allow-incomplete), 13 a registry's policy refused
the image, 130 interrupted, 70 internal error. See docs/exit-codes.md.

Examples:
  portcullis inspect oci:examples/hello:latest
  portcullis sbom docker://127.0.0.1:5000/app:1.0 --tls-verify=false --format cyclonedx
  portcullis scan app:1.0 --severity HIGH,CRITICAL --exit-code 1
  PORTCULLIS_CONTENT_TRUST=1 portcullis pull registry.example/app:1.0`,
    );
  registerImageCommands(program, ctx);
  registerTrustCommands(program, ctx);
  registerPolicyCommands(program, ctx);
  registerVulnCommands(program, ctx);
  registerRegistryCommands(program, ctx);
  registerRegistryAdminCommands(program, ctx);
  registerRegistryWebhookCommands(program, ctx);
  registerRegistryAuditCommand(program, ctx);
  return program;
}
