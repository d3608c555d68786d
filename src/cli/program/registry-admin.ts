/**
 * `portcullis registry user|robot|project|member …`: the admin commands for a
 * running `portcullis serve --accounts` (commands/registry-admin.ts).
 */
import type { Command } from 'commander';
import { parseBooleanFlag } from '../flags.js';
import type { AdminOptions } from '../commands/registry-admin.js';
import type { CommandContext } from './common.js';

const HELP = `
Manages the accounts of a running "portcullis serve --accounts" through its
admin API (/api/v1/), signed in as an administrator (or, for members and
robots, a project admin): --creds USER:PASS, else PORTCULLIS_USERNAME and
PORTCULLIS_PASSWORD, else the login saved by "portcullis login HOST".
The server is --server URL or PORTCULLIS_SERVER.

Roles in a project: pull, push (and pull), delete (and push), admin (members,
robots, settings). Robots are named robot$PROJECT+NAME; their secret is shown
once. New users' passwords come from --password-stdin, or are generated and
shown once. A registry keeps at least one administrator: removing the last
one's role (or deleting them) is refused; make another user an administrator
first. An administrator may remove their own role while another remains.

Examples:
  export PORTCULLIS_SERVER=https://registry.example:5000
  portcullis registry project create team
  portcullis registry project visibility team public
  portcullis registry user add alice < alice-password.txt --password-stdin
  portcullis registry user admin alice --set
  portcullis registry user admin admin --unset
  portcullis registry member add team alice push
  portcullis registry robot create team ci --actions pull,push --expires 90d
  portcullis registry robot revoke 'robot$team+ci'
  portcullis registry project settings team --quota 10GiB --untagged-retention 3d
  portcullis registry project settings team --retention-file rules.yaml
  portcullis registry project settings team --deny-severity HIGH

Webhooks of a project: "portcullis registry webhook --help".
Garbage collection: "portcullis registry gc --help" (against a running
registry, or offline on its data folder). The audit log: "portcullis
registry audit --help".

Exit codes: 0 ok, 2 invalid request, 3 not found, 4 not allowed or wrong
credentials, 5 server unreachable, 9 exists already.`;

const ADMIN_ROLE_HELP = `
The role takes effect at the user's next request (open UI sessions and tokens
too). The last registry administrator keeps it: make another user an
administrator first. An administrator may remove their own role while
another remains. The same as "Make administrator" / "Remove administrator"
on the UI's administration page.

Examples:
  portcullis registry user admin alice --set
  portcullis registry user admin admin --unset --format json

Exit codes: 0 ok, 2 neither or both of --set and --unset, 3 no such user,
4 not an administrator or wrong credentials, 5 server unreachable, 9 the last
administrator.`;

/** The connection flags every admin command takes (also registry-webhook.ts and registry-audit.ts). */
export function common(command: Command): Command {
  return command
    .option('--server <url>', 'the registry (default $PORTCULLIS_SERVER)')
    .option('--creds <user:password>', 'administrator credentials (default $PORTCULLIS_USERNAME/$PORTCULLIS_PASSWORD or the saved login)')
    .option('--tls-verify <bool>', 'verify the server certificate (default true)')
    .option('--format <format>', 'table (default) or json, for lists (and the changed user of "user admin")');
}

export function admin(options: Record<string, unknown>): AdminOptions {
  const tlsVerify = parseBooleanFlag(options.tlsVerify as string | undefined, 'tls-verify');
  return {
    ...(typeof options.server === 'string' ? { server: options.server } : {}),
    ...(typeof options.creds === 'string' ? { creds: options.creds } : {}),
    ...(tlsVerify !== undefined ? { tlsVerify } : {}),
    ...(typeof options.format === 'string' ? { format: options.format } : {}),
  };
}

/** `portcullis registry`: one group for the admin commands here and `registry gc` (program/registry.ts), whichever registers first. */
export function registryGroup(program: Command): Command {
  const existing = program.commands.find((command) => command.name() === 'registry');
  if (existing) return existing;
  return program.command('registry').description('administer a running portcullis serve: accounts, projects, members, robots, webhooks, the audit log (--accounts) and garbage collection').addHelpText('after', HELP);
}

export function registerRegistryAdminCommands(program: Command, ctx: CommandContext): void {
  const registry = registryGroup(program);

  const user = registry.command('user').description('registry accounts');
  common(user.command('add <name>').description('create a user').option('--admin', 'a registry administrator').option('--password-stdin', 'read the password from stdin (else one is generated and shown once)')).action(
    async (name: string, options: Record<string, unknown>) => {
      const { userCommand } = await import('../commands/registry-admin.js');
      ctx.exitCode = await userCommand('add', name, { ...admin(options), admin: options.admin === true, passwordStdin: options.passwordStdin === true }, ctx.io);
    },
  );
  common(user.command('list').description('list users')).action(async (options: Record<string, unknown>) => {
    const { userCommand } = await import('../commands/registry-admin.js');
    ctx.exitCode = await userCommand('list', undefined, admin(options), ctx.io);
  });
  common(user.command('passwd <name>').description('set a new password').option('--password-stdin', 'read it from stdin (else one is generated and shown once)')).action(
    async (name: string, options: Record<string, unknown>) => {
      const { userCommand } = await import('../commands/registry-admin.js');
      ctx.exitCode = await userCommand('passwd', name, { ...admin(options), passwordStdin: options.passwordStdin === true }, ctx.io);
    },
  );
  common(
    user
      .command('admin <name>')
      .description('make a user a registry administrator (--set) or no longer one (--unset; never the last one)')
      .option('--set', 'make NAME a registry administrator')
      .option('--unset', 'take the role away (refused, exit 9, for the last administrator)')
      .addHelpText('after', ADMIN_ROLE_HELP),
  ).action(async (name: string, options: Record<string, unknown>) => {
    const { userCommand } = await import('../commands/registry-admin.js');
    ctx.exitCode = await userCommand('admin', name, { ...admin(options), set: options.set === true, unset: options.unset === true }, ctx.io);
  });
  common(user.command('rm <name>').description('delete a user and their memberships')).action(async (name: string, options: Record<string, unknown>) => {
    const { userCommand } = await import('../commands/registry-admin.js');
    ctx.exitCode = await userCommand('rm', name, admin(options), ctx.io);
  });

  const project = registry.command('project').description('projects: the first path component of repository names');
  common(project.command('create <name>').description('create a project (private unless --public)').option('--public', 'anyone, anonymous callers too, may pull')).action(
    async (name: string, options: Record<string, unknown>) => {
      const { projectCommand } = await import('../commands/registry-admin.js');
      ctx.exitCode = await projectCommand('create', name, { ...admin(options), public: options.public === true }, ctx.io);
    },
  );
  common(project.command('visibility <name> <visibility>').description('make a project public (anyone may pull) or private (members only)')).action(async (name: string, visibility: string, options: Record<string, unknown>) => {
    const { projectCommand } = await import('../commands/registry-admin.js');
    ctx.exitCode = await projectCommand('visibility', name, { ...admin(options), visibility }, ctx.io);
  });
  common(project.command('list').description('list the projects you can see')).action(async (options: Record<string, unknown>) => {
    const { projectCommand } = await import('../commands/registry-admin.js');
    ctx.exitCode = await projectCommand('list', undefined, admin(options), ctx.io);
  });
  common(project.command('rm <name>').description('delete an empty project, its members and robots')).action(async (name: string, options: Record<string, unknown>) => {
    const { projectCommand } = await import('../commands/registry-admin.js');
    ctx.exitCode = await projectCommand('rm', name, admin(options), ctx.io);
  });

  common(
    project
      .command('settings <name>')
      .description("show a project's quota, retention, vulnerability threshold and trust policy, or change the keys given (none clears one)")
      .option('--quota <size>', 'storage quota: 500MB, 10GiB, or none')
      .option('--untagged-retention <duration>', 'how long untagged manifests are kept: 3d, 12h, or none')
      .option('--retention-file <file>', 'tag retention rules: a YAML or JSON list (docs/serve.md "Retention and quotas")')
      .option('--deny-severity <level>', "refuse the project's images at or above CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE or UNKNOWN (only tightens the registry's), or none")
      .option('--trust-policy <file>', "the project's trust policy, a YAML or JSON mapping (keys, threshold, attestations, cveAllowlist, sources, notary: only adds to the registry's), or none"),
  ).action(async (name: string, options: Record<string, unknown>) => {
    const { projectSettingsCommand } = await import('../commands/registry-project-settings.js');
    ctx.exitCode = await projectSettingsCommand(name, {
      ...admin(options),
      ...(typeof options.quota === 'string' ? { quota: options.quota } : {}),
      ...(typeof options.untaggedRetention === 'string' ? { untaggedRetention: options.untaggedRetention } : {}),
      ...(typeof options.retentionFile === 'string' ? { retentionFile: options.retentionFile } : {}),
      ...(typeof options.denySeverity === 'string' ? { denySeverity: options.denySeverity } : {}),
      ...(typeof options.trustPolicy === 'string' ? { trustPolicy: options.trustPolicy } : {}),
    }, ctx.io);
  });

  const member = registry.command('member').description("members of a project and their role");
  common(member.command('add <project> <user> <role>').description('give USER the ROLE (pull, push, delete, admin) in PROJECT')).action(
    async (projectName: string, userName: string, role: string, options: Record<string, unknown>) => {
      const { memberCommand } = await import('../commands/registry-admin.js');
      ctx.exitCode = await memberCommand('add', projectName, userName, role, admin(options), ctx.io);
    },
  );
  common(member.command('rm <project> <user>').description('take USER out of PROJECT')).action(async (projectName: string, userName: string, options: Record<string, unknown>) => {
    const { memberCommand } = await import('../commands/registry-admin.js');
    ctx.exitCode = await memberCommand('rm', projectName, userName, undefined, admin(options), ctx.io);
  });
  common(member.command('list <project>').description('list members')).action(async (projectName: string, options: Record<string, unknown>) => {
    const { memberCommand } = await import('../commands/registry-admin.js');
    ctx.exitCode = await memberCommand('list', projectName, undefined, undefined, admin(options), ctx.io);
  });

  const robot = registry.command('robot').description('robot accounts (robot$PROJECT+NAME) for CI and machines');
  common(
    robot
      .command('create <project> <name>')
      .description('create a robot and print its secret once')
      .option('--actions <list>', 'pull, push, delete, comma-separated (default pull)')
      .option('--expires <days>', 'e.g. 90d, or never (default never)')
      .option('--description <text>', 'what it is for'),
  ).action(async (projectName: string, name: string, options: Record<string, unknown>) => {
    const { robotCommand } = await import('../commands/registry-admin.js');
    ctx.exitCode = await robotCommand('create', projectName, name, {
      ...admin(options),
      ...(typeof options.actions === 'string' ? { actions: options.actions } : {}),
      ...(typeof options.expires === 'string' ? { expires: options.expires } : {}),
      ...(typeof options.description === 'string' ? { description: options.description } : {}),
    }, ctx.io);
  });
  common(robot.command('list <project>').description("list a project's robots")).action(async (projectName: string, options: Record<string, unknown>) => {
    const { robotCommand } = await import('../commands/registry-admin.js');
    ctx.exitCode = await robotCommand('list', projectName, undefined, admin(options), ctx.io);
  });
  common(robot.command('revoke <robot> [name]').description('revoke robot$PROJECT+NAME (or PROJECT NAME): refused from its next request on')).action(
    async (target: string, name: string | undefined, options: Record<string, unknown>) => {
      const { robotCommand } = await import('../commands/registry-admin.js');
      ctx.exitCode = await robotCommand('revoke', target, name, admin(options), ctx.io);
    },
  );
}
