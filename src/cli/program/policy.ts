/**
 * `portcullis policy check` and `policy export`: the trust policy explained
 * for one image, and written out for containers/image nodes. One file of its
 * own beside program/trust.ts, so that the policy commands and the signing
 * commands change apart.
 */
import { Option, type Command } from 'commander';
import type { PolicyCheckOptions } from '../commands/policy-check.js';
import type { PolicyExportOptions } from '../commands/policy-export.js';
import { addRegistryFlags, REGISTRY_HELP, type CommandContext } from './common.js';

export function registerPolicyCommands(program: Command, ctx: CommandContext): void {
  const policy = program.command('policy').description('the trust policy: explain its decision for an image, export it for podman, skopeo and CRI-O');

  addRegistryFlags(
    policy
      .command('check')
      .description('explain the trust policy\'s decision for an image, rule by rule; exit 0 when allowed, 1 when refused')
      .argument('<image>', 'registry image: [docker://]HOST/REPO[:TAG|@DIGEST]')
      .option('--policy <file>', 'trust policy (default ~/.portcullis/policy.yaml)')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text')),
  )
    .addHelpText('after', `${REGISTRY_HELP}

Prints the entry that applies (file:line and its match globs, or the default
rule), each requirement (signature, signedIdentity, attestation:TYPE) met or
UNMET with why, the entry's CVE allowlist (expired entries are ignored and
said so), and the decision: the same one verify, pull under content trust
and serve --require-signature make.

Exit codes: 0 allowed (or action warn), 1 refused, 2 bad usage or policy file,
other codes as for verify (docs/exit-codes.md).

Examples:
  portcullis policy check registry.example/team/app:1.0
  portcullis policy check registry.example/team/app@sha256:... --policy policy.yaml --format json`)
    .action(async (image: string, options: PolicyCheckOptions) => {
      const { policyCheck } = await import('../commands/policy-check.js');
      ctx.exitCode = await policyCheck(image, options, ctx.io);
    });

  policy
    .command('export')
    .description('write the trust policy as containers-policy.json(5) and registries.d(5) files')
    .addOption(new Option('--format <format>', 'what to write').choices(['containers-policy']).default('containers-policy'))
    .option('--policy <file>', 'trust policy (default ~/.portcullis/policy.yaml)')
    .option('--output <dir>', 'write policy.json, keys/ and registries.d/ there (the layout of /etc/containers); default: policy.json on stdout, keys inline')
    .option('--key-dir <path>', 'where the keys will be on the nodes, for keyPath (default /etc/containers/keys)')
    .addOption(new Option('--default <requirement>', 'what images no scope covers get').choices(['reject', 'insecureAcceptAnything']).default('reject'))
    .addHelpText('after', `
Each repositories entry becomes a docker scope (most specific wins there, first
match here: shadowed entries are left out), each key a sigstoreSigned
requirement with its signedIdentity. What containers cannot check (attestations,
the CVE allowlist, root-certified keys, action warn, a threshold below the
number of keys, globs with inner wildcards) is named on stderr as a warning.

Exit codes: 0 written (warnings or not), 2 bad usage or policy file.

Examples:
  portcullis policy export --format containers-policy > policy.json
  sudo portcullis policy export --format containers-policy --output /etc/containers`)
    .action(async (options: PolicyExportOptions) => {
      const { policyExport } = await import('../commands/policy-export.js');
      ctx.exitCode = await policyExport(options, ctx.io);
    });
}
