/**
 * The registry commands: `portcullis serve`, and `portcullis registry …`
 * for administering one (`registry gc`).
 */
import type { Command } from 'commander';
import type { CommandContext } from './common.js';
import { registryGroup } from './registry-admin.js';

const SERVE_HELP = `
An OCI registry (distribution-spec v1.1: push, pull, tags, catalog, referrers,
cross-repository mounts, chunked uploads) with a built-in trust service and
scanner:
  - every pushed image is scanned against the advisory database (--db), and
    rescanned when the database changes (run "portcullis db update" from cron);
  - results are shown at /ui/ ordered by severity; metrics at /metrics
    (signed-in users only with --htpasswd), or on --metrics-addr alone;
  - Notary v1 / Docker Content Trust endpoints under /v2/<name>/_trust/tuf/
    (the notary CLI and DOCKER_CONTENT_TRUST clients work against it);
  - --deny-severity and --require-signature make it refuse to serve images
    (403 DENIED with the reason) that are vulnerable or unsigned. Under
    --deny-severity an image is served only after a complete scan: queued,
    failed or partial scans are refused too (--allow-unscanned serves images
    still waiting for their first scan).

Logs: one JSON object per line on stdout (requests, pushes, scans, refusals,
failed logins, errors with their causes); --log-format text for people.
A summary of the configuration goes to stderr at start.
Limits and the security model: docs/serve.md.

Storage: blobs in --root (default ~/.local/share/portcullis/registry), or in an
S3-compatible bucket with --storage s3://BUCKET[/PREFIX] (credentials from
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, endpoint from --s3-endpoint or
AWS_ENDPOINT_URL). Metadata in SQLite in --root, or in PostgreSQL with
--metadata postgres://USER@HOST/DB (password from PGPASSWORD or the URL), so
several processes can serve one registry.

Authentication: --htpasswd FILE (bcrypt entries, as made by "htpasswd -B");
--anonymous-pull lets anyone pull. --accounts turns on users, robots, projects
and roles (pull, push, delete, admin) kept in the metadata store, with Docker
token auth at /token (Basic still works) and the admin API at /api/v1/
("portcullis registry user|robot|project|member|webhook|audit"; described by
the OpenAPI document at /api/v1/openapi.json); the first start creates the
administrator "admin" with PORTCULLIS_ADMIN_PASSWORD (or the file
PORTCULLIS_ADMIN_PASSWORD_FILE), else a generated password shown once here.
With --accounts, --htpasswd users sign in too and get roles like any user.
Without either, anyone can push: bind to loopback (the default) or put it
behind a proxy. Passwords are checked off the
event loop; after too many failed logins for one user or from one address the
registry answers 429 with Retry-After without checking the password at all.

Audit log: every push, pull (manifests), delete, login (and failed one),
permission change, policy change and garbage collection is a log line with
"event":"audit" (principal, address, request id, repository, digest). With
--accounts the events are also kept in the metadata store for
--audit-retention (default 90d) and read with "portcullis registry audit"
(GET /api/v1/audit).

Uploads belong to the repository and user that started them (anyone else gets
404); each client may keep --max-uploads-per-client open, and uploads
untouched for --upload-purge-age are removed (checked hourly).

Configuration file: --config portcullis.yaml holds every setting (each flag
has a key: docs/serve.md "Configuration reference", examples/portcullis.yaml,
JSON Schema for editors in docs/serve-config.schema.json). Precedence: flag >
environment (AWS_*, PORTCULLIS_DB) > file > default. --print-config prints the
effective configuration as YAML (secrets as ***) and exits. A mistake in the
file stops it with the file, line and column (exit 2).

Health: /healthz (the process answers) and /readyz (storage, metadata and the
advisory database reachable; 503 naming what failed), without credentials.
Garbage collection runs every --gc-interval (default 24h; 0 = only on demand:
POST /api/v1/gc or "portcullis registry gc --server"), while pushes go on: it
removes manifests untagged for longer than --untagged-retention (default 7d)
with their signatures and other accessories, then blobs nothing links or
references and nobody touched within --gc-grace (default 1h). Per-project
quotas (a push over quota is refused with 403 DENIED) and tag retention rules
come from --project-settings FILE (YAML or JSON; docs/serve.md).

Stops cleanly on SIGINT/SIGTERM: uploads in flight fail, nothing half-written
becomes visible. SIGHUP reloads the configuration: users (htpasswd), the pull
policy, login limits, upload caps and the log level change at once; other
changed keys are named in a warning and wait for a restart; a file with a
mistake is logged and the running configuration kept.`;

export function registerRegistryCommands(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description('run an OCI registry that scans what is pushed and can refuse unsigned or vulnerable images')
    .option('--config <file>', 'read settings from this YAML file (flags override it; docs/serve.md "Configuration reference")')
    .option('--print-config', 'print the effective configuration as YAML (secrets redacted) and exit without starting')
    .option('--addr <host:port>', 'address to listen on (default 127.0.0.1:5000)')
    .option('--demo', 'try it: serve from a temporary folder with the bundled example image pushed and scanned')
    .option('--root <dir>', 'data folder (blobs, metadata, trust data)')
    .option('--tls-cert <file>', 'TLS certificate (PEM); with --tls-key serves HTTPS')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--public-name <host[:port]>', 'the name clients use for this registry (signature identities; default --addr)')
    .option('--storage <url>', 'blob storage: a folder (default --root) or s3://BUCKET[/PREFIX]')
    .option('--s3-endpoint <url>', 'S3 endpoint (default AWS_ENDPOINT_URL, else AWS)')
    .option('--s3-region <region>', 'S3 region (default AWS_REGION or us-east-1)')
    .option('--s3-redirect', 'with s3 storage: answer blob GETs with a redirect to a presigned S3 URL (clients must reach the endpoint)')
    .option('--metadata <url>', 'postgres://… for metadata shared by several processes (default SQLite in --root)')
    .option('--htpasswd <file>', 'require Basic authentication against this htpasswd file (bcrypt)')
    .option('--anonymous-pull', 'with --htpasswd: allow pulls without credentials')
    .option('--accounts', 'accounts, projects and roles with Docker token auth (the first start creates "admin"; see portcullis registry --help)')
    .option('--token-lifetime <duration>', 'with --accounts: how long access tokens last (default 5m, at most 24h)')
    .option('--db <path>', 'advisory database used for scans: a SQLite file or postgres://… shared by every serve process (default $PORTCULLIS_DB or ~/.cache/portcullis/db/advisories.sqlite)')
    .option('--no-scan', 'do not scan pushed images')
    .option('--rescan-interval <duration>', 'how often to check the advisory database for changes (default 60s; 0 = only at start)')
    .option('--scan-workers <n>', 'images scanned in parallel (default 1)')
    .option('--scan-lease <duration>', 'how long a worker holds a scan job without renewing its lease (default 60s); a dead worker loses it after this')
    .option('--scan-timeout <duration>', 'stop a scan running longer and record it as failed (default 30m)')
    .option('--scan-attempts <n>', 'workers that may take a scan job before the scan is failed (default 3)')
    .option('--role <role>', 'with several processes on one PostgreSQL database: api (answer clients, queue scans), worker (take scans; answers only /healthz, /readyz, /metrics) or all (default)')
    .option('--db-from <ref>', 'keep the advisory database current by pulling this signed artifact (docker://…, from db push --sign), verified before use')
    .option('--db-from-interval <duration>', 'with --db-from: how often to pull it (default 1h, at least 1m)')
    .option('--deny-severity <level>', 'refuse to serve images with vulnerabilities of this severity or worse (CRITICAL, HIGH, …)')
    .option('--allow-unscanned', 'with --deny-severity: serve images that have no scan result yet (failed or partial scans stay refused)')
    .option('--deny-unscanned', 'with --deny-severity: refuse images not scanned yet (the default; kept for old scripts)')
    .option('--require-signature', 'refuse to serve images without a valid signature by a key trusted for the repository or Docker Content Trust in this registry\'s Notary data')
    .option('--policy <file>', 'trust policy file for --require-signature (docs/signing.md)')
    .option('--no-notary', 'do not serve the Notary v1 trust service')
    .option('--no-ui', 'do not serve the web UI, nor /metrics on --addr (--metrics-addr still serves it)')
    .option('--log-level <level>', 'debug, info, warn, error or silent (default info)')
    .option('--log-format <format>', 'json (one object per line on stdout, the default) or text')
    .option('--headers-timeout <duration>', 'time a client has to send its request headers (default 10s)')
    .option('--request-timeout <duration>', 'time a client has to send a whole request, body included (default 1h)')
    .option('--idle-timeout <duration>', 'close connections silent this long (default 60s)')
    .option('--min-body-rate <rate>', 'cut request bodies slower than this per second (default 1KiB; 0 = off)')
    .option('--max-conns-per-ip <n>', 'open connections allowed per client address (default 64)')
    .option('--max-conns <n>', 'open connections allowed in all (default 4096)')
    .option('--max-login-failures-per-user <n>', 'with --htpasswd or --accounts: failed logins per user name within the window before 429 (default 10)')
    .option('--max-login-failures-per-ip <n>', 'with --htpasswd or --accounts: failed logins per client address within the window before 429 (default 30)')
    .option('--login-failure-window <duration>', 'with --htpasswd or --accounts: the window failed logins are counted over (default 5m)')
    .option('--max-uploads-per-client <n>', 'open upload sessions per user (or address, when anonymous) before 429 (default 1000)')
    .option('--upload-purge-age <duration>', 'remove uploads untouched this long (default 24h; at least 1m)')
    .option('--metrics-addr <host:port>', 'serve /metrics only on this address (":9090" = loopback), not on --addr')
    .option('--gc-interval <duration>', 'run garbage collection this often (default 24h; 0 = only on demand)')
    .option('--gc-grace <duration>', 'never collect blobs touched (uploaded, linked) within this time (default 1h)')
    .option('--untagged-retention <duration>', 'keep untagged manifests this long before collecting them (default 7d)')
    .option('--project-settings <file>', 'per-project quotas and tag retention rules (YAML or JSON; docs/serve.md)')
    .option('--audit-retention <duration>', 'keep audit events this long (default 90d; 0 = forever); with --accounts')
    .option('--audit-queue <n>', 'audit events waiting to be stored before they are counted as dropped (default 10000)')
    .addHelpText(
      'after',
      `${SERVE_HELP}

Examples:
  portcullis serve --demo
  portcullis serve --root ./registry-data
  portcullis serve --config /etc/portcullis/portcullis.yaml
  portcullis serve --config portcullis.yaml --log-level debug --print-config
  skopeo copy --dest-tls-verify=false oci:examples/hello:latest docker://127.0.0.1:5000/demo/hello:1
  portcullis serve --addr 0.0.0.0:5000 --tls-cert cert.pem --tls-key key.pem --htpasswd ./htpasswd \\
      --deny-severity CRITICAL --require-signature
  portcullis serve --db-from docker://registry.internal/portcullis/db:latest --deny-severity HIGH
  AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… portcullis serve --storage s3://images/prod \\
      --s3-endpoint http://127.0.0.1:9000 --metadata postgres://portcullis@db/registry`,
    )
    .action(async (options: import('../commands/serve.js').ServeOptions, command: Command) => {
      const { serve } = await import('../commands/serve.js');
      // Only what was given: a default of commander (`--no-scan` makes `scan: true`) must not override the file.
      const given = Object.fromEntries(Object.entries(options).filter(([name]) => command.getOptionValueSource(name) !== 'default'));
      ctx.exitCode = await serve(given, ctx.io);
    });

  registryGroup(program)
    .command('gc')
    .description('garbage collection: remove untagged manifests past retention, their accessories, and unreferenced blobs')
    .option('--dry-run', 'list what would be deleted, and the bytes, without deleting anything')
    .option('--json', 'print the report as JSON')
    .option('--server <url>', 'ask a running registry to collect (its /api/v1/gc), e.g. http://127.0.0.1:5000 (default $PORTCULLIS_SERVER)')
    .option('--url <url>', 'the same as --server (its first name)')
    .option('--creds <user:password>', 'with --server: an administrator (default $PORTCULLIS_REGISTRY_CREDS, else $PORTCULLIS_USERNAME/$PORTCULLIS_PASSWORD)')
    .option('--config <file>', "offline: serve's configuration file (stores, retention, project settings)")
    .option('--root <dir>', 'offline: the data folder (as serve --root)')
    .option('--storage <url>', 'offline: blob storage, as serve --storage')
    .option('--s3-endpoint <url>', 'offline: S3 endpoint, as serve --s3-endpoint')
    .option('--s3-region <region>', 'offline: S3 region, as serve --s3-region')
    .option('--metadata <url>', 'offline: postgres://… metadata, as serve --metadata')
    .option('--project-settings <file>', 'offline: per-project retention rules (YAML or JSON)')
    .option('--untagged-retention <duration>', 'offline: keep untagged manifests this long (default 7d)')
    .option('--grace <duration>', 'offline: never collect blobs touched within this time (default 1h)')
    .addHelpText(
      'after',
      `
Against a running registry (the way while it serves):
  portcullis registry gc --server http://127.0.0.1:5000 --dry-run
  PORTCULLIS_REGISTRY_CREDS=admin:secret portcullis registry gc --server https://registry.example

Offline, on the data folder of a stopped registry (same storage flags as serve):
  portcullis registry gc --root ./registry-data --dry-run
  portcullis registry gc --config /etc/portcullis/portcullis.yaml
  portcullis registry gc --storage s3://images/prod --metadata postgres://portcullis@db/registry

What goes: manifests untagged for longer than the retention period (and
tags the project's retention rules do not keep), the signatures,
attestations, SBOMs and referrers indexes of what goes, then blobs that no
repository links and no manifest references. A run killed midway is finished
by the next one. docs/serve.md "Garbage collection" explains the protocol.`,
    )
    .action(async (options: import('../commands/registry-gc.js').RegistryGcOptions) => {
      const { registryGc } = await import('../commands/registry-gc.js');
      ctx.exitCode = await registryGc(options, ctx.io);
    });
}
