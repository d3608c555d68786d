/**
 * The commands that prove who built an image: sign, verify, attest, verify-attestation, pull (content trust), key.
 */
import { Option, type Command } from 'commander';
import type { SignCommandOptions } from '../commands/sign.js';
import type { VerifyCommandOptions } from '../commands/verify.js';
import type { AttestCommandOptions } from '../commands/attest.js';
import type { VerifyAttestationOptions } from '../commands/verify-attestation.js';
import type { PullCommandOptions } from '../commands/pull.js';
import type { KeyCommandOptions } from '../commands/key.js';
import type { ImportDockerTrustFlags } from '../commands/key-docker-trust.js';
import { addRegistryFlags, collect, REGISTRY_HELP, type CommandContext } from './common.js';

export function registerTrustCommands(program: Command, ctx: CommandContext): void {
  const PASSPHRASE_HELP = `
Passphrases: --passphrase-file FILE (repository key), --root-passphrase-file FILE,
or PORTCULLIS_REPOSITORY_PASSPHRASE / PORTCULLIS_ROOT_PASSPHRASE, or a no-echo
prompt on the terminal (CI has none: set the variables). A cosign key file given
as --key reads COSIGN_PASSWORD instead. They are never printed.`;
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
        .option('--key <key>', 'key to sign with: a private key file (cosign.key: passphrase from COSIGN_PASSWORD or a prompt), or a store key id, id prefix or "repository" (default)')
        .option('-a, --annotation <key=value>', 'annotation in the signed payload (repeatable)', collect)
        .addOption(new Option('--layout <layout>', 'where to store the signature').choices(['tag', 'bundle', 'both']).default('both'))
        .option('--notary', 'also sign the tag in Notary v1 (Docker Content Trust) with the store\'s root and repository keys, as docker trust sign')
        .option('--notary-server <url>', 'Notary server for --notary (default PORTCULLIS_CONTENT_TRUST_SERVER, DOCKER_CONTENT_TRUST_SERVER, else https://REGISTRY)')
        .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text')),
    ),
  )
    .addHelpText('after', `${REGISTRY_HELP}
${PASSPHRASE_HELP}
With --notary the root passphrase is asked only when the GUN is new on the
Notary server (its root.json is then made from the store's root key).

Examples:
  portcullis sign registry.example/team/app:1.0
  COSIGN_PASSWORD=... portcullis sign registry.example/team/app:1.0 --key cosign.key
  PORTCULLIS_REPOSITORY_PASSPHRASE=... portcullis sign 127.0.0.1:5000/app:1.0 --tls-verify=false --layout tag
  portcullis sign registry.example/team/app:1.0 --notary --cert-dir ./certs`)
    .action(async (image: string, options: SignCommandOptions) => {
      const { sign } = await import('../commands/sign.js');
      ctx.exitCode = await sign(image, options, ctx.io);
    });

  addRegistryFlags(
    program
      .command('verify')
      .description('verify an image\'s signatures (both layouts) against the trust store, --key files or a policy; exit 0 only when verified')
      .argument('<image>', 'registry image: [docker://]HOST/REPO[:TAG|@DIGEST]')
      .option('--key <file>', 'PEM public key (cosign.pub or `key export`) that must have signed (repeatable)', collect)
      .option('--policy <file>', 'trust policy (default ~/.portcullis/policy.yaml)')
      .option('--notary-server <url>', 'Notary v1 server for Docker Content Trust (also PORTCULLIS_CONTENT_TRUST_SERVER, DOCKER_CONTENT_TRUST_SERVER; default https://REGISTRY)')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table')),
  )
    .addHelpText('after', `${REGISTRY_HELP}

Exit codes: 0 verified, 1 not verified (the unmet requirement is named on stderr).

Examples:
  portcullis verify registry.example/team/app:1.0
  portcullis verify registry.example/team/app:1.0 --key cosign.pub --format json
  portcullis verify registry.example/team/app@sha256:... --policy policy.yaml`)
    .action(async (image: string, options: VerifyCommandOptions) => {
      const { verify } = await import('../commands/verify.js');
      ctx.exitCode = await verify(image, options, ctx.io);
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
        .option('--key <key>', 'key to sign with: a private key file (cosign.key) or a store key id (default: the repository key)')
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
      const { attest } = await import('../commands/attest.js');
      ctx.exitCode = await attest(image, options, ctx.io);
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
      const { verifyAttestation } = await import('../commands/verify-attestation.js');
      ctx.exitCode = await verifyAttestation(image, options, ctx.io);
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
      .option('--notary-server <url>', 'Notary v1 server for Docker Content Trust (also PORTCULLIS_CONTENT_TRUST_SERVER, DOCKER_CONTENT_TRUST_SERVER; default https://REGISTRY)')
      .option('--policy <file>', 'trust policy (default ~/.portcullis/policy.yaml)')
      .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text'))
      .option('-q, --quiet', 'no progress bars or summary'),
  )
    .addHelpText('after', `${REGISTRY_HELP}

Content trust accepts an image that cosign signatures, Sigstore bundles or
Notary v1 (Docker Content Trust) vouch for, as the trust policy says; a tag
signed in Notary is pulled at its signed digest (docs/signing.md).

Examples:
  PORTCULLIS_CONTENT_TRUST=1 portcullis pull registry.example/team/app:1.0
  DOCKER_CONTENT_TRUST_SERVER=https://notary.example:4443 PORTCULLIS_CONTENT_TRUST=1 portcullis pull registry.example/team/app:1.0
  portcullis pull 127.0.0.1:5000/app:1.0 oci:/tmp/app:1.0 --tls-verify=false --content-trust`)
    .action(async (image: string, dest: string | undefined, options: PullCommandOptions) => {
      const { pull } = await import('../commands/pull.js');
      ctx.exitCode = await pull(image, dest, options, ctx.io);
    });

  const key = program.command('key').description('manage signing keys: root and repository keys, certification, revocation, backup');
  const keyAction =
    <A extends unknown[]>(run: (mod: typeof import('../commands/key.js'), ...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      ctx.exitCode = await run(await import('../commands/key.js'), ...args);
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
    .action(keyAction((m, options: KeyCommandOptions) => m.keyGenerate(options, ctx.io)));
  key
    .command('list')
    .description('list keys: role, algorithm, certification, revocation')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(keyAction((m, options: KeyCommandOptions) => m.keyList(options, ctx.io)));
  key
    .command('export')
    .description('print a public key (PEM, PKIX — usable as cosign.pub); default the repository key')
    .argument('[key]', 'key id, id prefix, root or repository')
    .option('--root', 'export the root key')
    .action(keyAction((m, ref: string | undefined, options: KeyCommandOptions) => m.keyExport(ref, options, ctx.io)));
  addPassphraseFlags(
    key
      .command('import')
      .description('import a key: cosign.key / cosign.pub, PKCS#8, SEC 1, PKCS#1, our encrypted format')
      .argument('<file>', 'key file')
      .addOption(new Option('--role <role>', 'role of the imported key').choices(['root', 'repository']).default('repository'))
      .option('--repositories <glob...>', 'certify the imported repository key for these (needs the root passphrase)')
      .option('--import-passphrase-file <file>', 'passphrase of the encrypted key being imported (else COSIGN_PASSWORD, else a prompt)'),
  )
    .action(keyAction((m, file: string, options: KeyCommandOptions) => m.keyImport(file, options, ctx.io)));
  addPassphraseFlags(
    key
      .command('import-docker-trust')
      .description('import Docker Content Trust state: pinned roots (tuf/<gun>/metadata/root.json) and private keys (private/*.key)')
      .argument('[dir]', 'Docker trust directory (default ~/.docker/trust)')
      .option('--replace', 'replace a root portcullis already pins for a GUN when Docker pins another')
      .addOption(new Option('--format <format>', 'result format').choices(['text', 'json']).default('text')),
  )
    .addHelpText('after', `
Docker's passphrases: DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE (root keys) and
DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE (targets, snapshot, delegation keys),
else a prompt. Imported keys are kept under the portcullis passphrases.
${PASSPHRASE_HELP}

Examples:
  portcullis key import-docker-trust
  portcullis key import-docker-trust ~/.docker/trust --format json`)
    .action(async (dir: string | undefined, options: ImportDockerTrustFlags) => {
      const { keyImportDockerTrust } = await import('../commands/key-docker-trust.js');
      ctx.exitCode = await keyImportDockerTrust(dir, options, ctx.io);
    });
  addPassphraseFlags(
    key.command('certify').description('certify a repository key for repository globs (root signs)').argument('<key>', 'key id or prefix').option('--repositories <glob...>', 'repository globs'),
  ).action(keyAction((m, ref: string, options: KeyCommandOptions) => m.keyCertify(ref, options, ctx.io)));
  addPassphraseFlags(
    key
      .command('rotate')
      .description('replace a repository key: new key certified for the same repositories, old key revoked')
      .argument('[key]', 'key to replace (default the repository key)')
      .addOption(new Option('--algorithm <alg>', 'algorithm of the new key').choices(['ecdsa-p256', 'ed25519', 'rsa-3072']))
      .option('--repositories <glob...>', 'repositories of the new key (default: the old key\'s)')
      .option('--keep-old', 'do not revoke the old key'),
  ).action(keyAction((m, ref: string | undefined, options: KeyCommandOptions) => m.keyRotate(ref, options, ctx.io)));
  addPassphraseFlags(
    key.command('revoke').description('revoke a repository key: its signatures stop verifying').argument('<key>', 'key id or prefix').option('--reason <text>', 'recorded reason'),
  ).action(keyAction((m, ref: string, options: KeyCommandOptions) => m.keyRevoke(ref, options, ctx.io)));
  key
    .command('backup')
    .description('write the whole trust store as one JSON bundle (private keys stay encrypted)')
    .option('-o, --output <file>', 'file to write (mode 0600, never over an existing file; default stdout)')
    .action(keyAction((m, options: KeyCommandOptions) => m.keyBackup(options, ctx.io)));
  key
    .command('restore')
    .description('restore the trust store from a backup bundle')
    .argument('<file>', 'backup file')
    .option('--force', 'replace a store that has keys (the old one is moved aside)')
    .action(keyAction((m, file: string, options: KeyCommandOptions) => m.keyRestore(file, options, ctx.io)));
}
