/**
 * `portcullis registry audit`: the audit log of a running `portcullis serve
 * --accounts` (commands/registry-audit.ts), with the connection flags of the
 * other admin commands.
 */
import type { Command } from 'commander';
import type { CommandContext } from './common.js';
import { admin, common, registryGroup } from './registry-admin.js';

const HELP = `
Prints the registry's audit log, newest first: pushes, pulls of manifests
(and pulls the policy refused, with the reason), deletes, logins (failed ones
with the name tried), changes to users, projects, members and robots, policy
changes and garbage collections, each with the time, principal, client
address and what it was about. A registry administrator reads everything; a
project admin, the events of their projects.

--since and --until take a time (2026-05-01T00:00:00Z, or a date) or a
duration back from now (90s, 30m, 24h, 7d). Actions: push, pull, pull.denied,
delete, login, user.created, user.changed, user.password, user.deleted,
project.created, project.changed, project.deleted, project.settings,
member.set, member.removed, robot.created, robot.revoked, policy.changed, gc.
Outcomes: success, failure, denied.

Examples:
  portcullis registry audit                                  # the last 24 hours, 100 events at most
  portcullis registry audit --since 7d --repository team/app --action push
  portcullis registry audit --user alice --outcome failure --format json
  portcullis registry audit --action login --outcome failure --since 1h --limit 1000

Without --accounts a registry keeps no audit log in its store: its log
lines with "event":"audit" are the audit trail (docs/serve.md "Audit log").

Exit codes: 0 ok, 2 invalid filter, 4 not allowed or wrong credentials,
5 server unreachable.`;

export function registerRegistryAuditCommand(program: Command, ctx: CommandContext): void {
  common(
    registryGroup(program)
      .command('audit')
      .description('the audit log: pushes, pulls, deletes, logins, permission and policy changes (--accounts)')
      .option('--since <time|duration>', 'events at or after this (default 24h: the last day)')
      .option('--until <time|duration>', 'events before this')
      .option('--repository <name>', 'events of one repository')
      .option('--project <name>', 'events of one project')
      .option('--user <name>', 'events by one principal (or failed logins that tried this name)')
      .option('--action <action>', 'one action (push, pull, login, member.set, …)')
      .option('--outcome <outcome>', 'success, failure or denied')
      .option('--limit <n>', 'print at most this many events (default 100)'),
  )
    .addHelpText('after', HELP)
    .action(async (options: Record<string, unknown>) => {
      const { registryAudit } = await import('../commands/registry-audit.js');
      const text = (name: string): Record<string, string> => (typeof options[name] === 'string' ? { [name]: options[name] } : {});
      ctx.exitCode = await registryAudit({ ...admin(options), ...text('since'), ...text('until'), ...text('repository'), ...text('project'), ...text('user'), ...text('action'), ...text('outcome'), ...text('limit') }, ctx.io);
    });
}
