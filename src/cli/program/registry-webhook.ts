/**
 * `portcullis registry webhook …`: a project's webhooks on a running
 * `portcullis serve --accounts` (commands/registry-webhook.ts).
 */
import type { Command } from 'commander';
import type { CommandContext } from './common.js';
import { admin, common, registryGroup } from './registry-admin.js';

const HELP = `
Webhooks tell a URL about what happens in a project: push, delete,
scan.completed, scan.failed, vulnerability.new, vulnerability.fixed,
pull.denied, signature.added (every event unless --events). Each request is a
JSON POST signed with the webhook's secret in X-Portcullis-Signature-256
(sha256=HMAC of the body); failed deliveries are retried with backoff.
Needs the project's admin role (or a registry administrator); credentials and
--server as for the other "portcullis registry" commands. See docs/serve.md
"Webhooks" for the bodies and how to check the signature.

Examples:
  portcullis registry webhook add team https://ci.example/hooks/registry --events push,scan.completed
  portcullis registry webhook add team https://quay.example/secscan/notify --clair
  portcullis registry webhook list team
  portcullis registry webhook set team 3f2a9c1e0b7d4a65 --events push --disable
  portcullis registry webhook set team 3f2a9c1e0b7d4a65 --rotate-secret
  portcullis registry webhook deliveries team 3f2a9c1e0b7d4a65
  portcullis registry webhook redeliver team 3f2a9c1e0b7d4a65 DELIVERY-ID
  portcullis registry webhook remove team 3f2a9c1e0b7d4a65

Exit codes: 0 ok, 2 invalid request, 3 not found, 4 not allowed or wrong
credentials, 5 server unreachable, 9 too many webhooks.`;

export function registerRegistryWebhookCommands(program: Command, ctx: CommandContext): void {
  const webhook = registryGroup(program).command('webhook').description("a project's webhooks and their deliveries").addHelpText('after', HELP);
  common(
    webhook
      .command('add <project> <url>')
      .description('add a webhook and print its secret once')
      .option('--events <list>', 'comma-separated events (default: all; with --clair: vulnerability.new,vulnerability.fixed)')
      .option('--clair', "send Clair v4 notifier callbacks (vulnerability events only) instead of portcullis's bodies")
      .option('--description <text>', 'what it is for')
      .option('--secret-stdin', 'read the secret from stdin (16 to 256 characters) instead of generating one')
      .option('--disabled', 'create it switched off'),
  ).action(async (project: string, url: string, options: Record<string, unknown>) => {
    const { webhookAddCommand } = await import('../commands/registry-webhook.js');
    ctx.exitCode = await webhookAddCommand(
      project,
      url,
      {
        ...admin(options),
        ...(typeof options.events === 'string' ? { events: options.events } : {}),
        ...(typeof options.description === 'string' ? { description: options.description } : {}),
        clair: options.clair === true,
        secretStdin: options.secretStdin === true,
        disabled: options.disabled === true,
      },
      ctx.io,
    );
  });
  common(
    webhook
      .command('set <project> <id>')
      .description('change a webhook: only what is given changes')
      .option('--url <url>', 'where it posts')
      .option('--events <list>', 'comma-separated events')
      .option('--clair', "send Clair v4 notifier callbacks (vulnerability events only)")
      .option('--portcullis', "send portcullis's own bodies")
      .option('--description <text>', 'what it is for ("" removes it)')
      .option('--enable', 'switch it on')
      .option('--disable', 'switch it off: nothing is sent')
      .option('--rotate-secret', 'generate a new secret and print it once')
      .option('--secret-stdin', 'read the new secret from stdin (16 to 256 characters)'),
  ).action(async (project: string, id: string, options: Record<string, unknown>) => {
    const { webhookSetCommand } = await import('../commands/registry-webhook.js');
    const text = (key: string): Record<string, string> => (typeof options[key] === 'string' ? { [key]: options[key] } : {});
    const flag = (key: string): Record<string, boolean> => (options[key] === true ? { [key]: true } : {});
    ctx.exitCode = await webhookSetCommand(project, id, { ...admin(options), ...text('url'), ...text('events'), ...flag('clair'), ...flag('portcullis'), ...text('description'), ...flag('enable'), ...flag('disable'), ...flag('rotateSecret'), ...flag('secretStdin') }, ctx.io);
  });
  common(webhook.command('list <project>').description("list a project's webhooks")).action(async (project: string, options: Record<string, unknown>) => {
    const { webhookListCommand } = await import('../commands/registry-webhook.js');
    ctx.exitCode = await webhookListCommand(project, admin(options), ctx.io);
  });
  common(webhook.command('remove <project> <id>').description('delete a webhook and its delivery log')).action(async (project: string, id: string, options: Record<string, unknown>) => {
    const { webhookRemoveCommand } = await import('../commands/registry-webhook.js');
    ctx.exitCode = await webhookRemoveCommand(project, id, admin(options), ctx.io);
  });
  common(webhook.command('deliveries <project> <id>').description("a webhook's latest deliveries: state, attempts, answer, error").option('--limit <n>', 'how many, newest first (default 20)')).action(
    async (project: string, id: string, options: Record<string, unknown>) => {
      const { webhookDeliveriesCommand } = await import('../commands/registry-webhook.js');
      ctx.exitCode = await webhookDeliveriesCommand(project, id, { ...admin(options), ...(typeof options.limit === 'string' ? { limit: options.limit } : {}) }, ctx.io);
    },
  );
  common(webhook.command('redeliver <project> <id> <delivery>').description('send a delivery again (same body, new delivery id)')).action(
    async (project: string, id: string, delivery: string, options: Record<string, unknown>) => {
      const { webhookRedeliverCommand } = await import('../commands/registry-webhook.js');
      ctx.exitCode = await webhookRedeliverCommand(project, id, delivery, admin(options), ctx.io);
    },
  );
}
