/**
 * THE catalogue of hygiene rules: every rule id portcullis can report, with
 * its severity, documentation and fix. Checks refer to rules by id; the
 * documentation (docs/lint-rules.md) is generated from this list
 * (`npx tsx scripts/lint-rules-doc.ts`) and a test fails when it is stale.
 *
 * Ids are stable: `dockerfile/<name>` for `portcullis lint Dockerfile`,
 * `image/<name>` for checks on a built image. Never rename or reuse an id;
 * retire one by leaving it documented as retired.
 *
 * An entry of `hygiene` of its own (docs/architecture.md): `lint --explain`
 * reads the catalogue without loading the linters; the module's error class
 * comes with it.
 */
import type { Rule } from './check.js';

export { HygieneError, type HygieneErrorCode } from './errors.js';

/** `dockerfile/base-latest` → `dockerfile-base-latest`: the anchor of the rule's entry in the docs. */
export function anchorOf(id: string): string {
  return id.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
}

function rule<const I extends string>(r: Omit<Rule, 'docsAnchor' | 'id'> & { id: I }): Rule & { id: I } {
  return { ...r, docsAnchor: anchorOf(r.id) };
}

/** Rules checked on the text of a Dockerfile (src/hygiene/dockerfile/). */
export const DOCKERFILE_RULES = [
  rule({
    id: 'dockerfile/syntax',
    title: 'Dockerfile syntax error',
    severity: 'MEDIUM',
    description:
      'The Dockerfile has a line the builder would reject: an unknown instruction (often a shell command left over after a missing `\\` line continuation), an instruction before the first `FROM`, `FROM` without an image, an instruction without its arguments, or a here-document that is never closed. The rest of the file is still checked.',
    fix: 'Correct the line named in the finding; `docker build --check` shows the builder’s own view.',
  }),
  rule({
    id: 'dockerfile/base-latest',
    title: 'Base image uses the `latest` tag or no tag',
    severity: 'MEDIUM',
    description:
      'A `FROM` without a tag means `:latest`, a tag that moves with every release of the base image: the same Dockerfile builds different images from one day to the next, a major upgrade can arrive unannounced, and a scan of today’s image says nothing about tomorrow’s. `FROM scratch` and `FROM <earlier stage>` are not flagged. A base given through an `ARG` is judged by the `ARG`’s default value.',
    fix: 'Name a version tag and pin it by digest, and let a bot (Renovate, Dependabot) propose updates:\n\n```dockerfile\nFROM node:20.11-bookworm-slim@sha256:<digest>\n```',
  }),
  rule({
    id: 'dockerfile/base-unpinned',
    title: 'Base image is not pinned by digest',
    severity: 'LOW',
    cis: '4.2',
    description:
      'A tag such as `python:3.12-slim` is a name the publisher can point at new content at any time (and an attacker who controls the registry account can too). Only a digest names exactly the image that was reviewed and scanned.',
    fix: 'Append the digest of the image you reviewed (`docker buildx imagetools inspect python:3.12-slim` prints it); keep the tag for readability:\n\n```dockerfile\nFROM python:3.12-slim@sha256:<digest>\n```',
  }),
  rule({
    id: 'dockerfile/add-remote-url',
    title: '`ADD` downloads a remote URL without a checksum',
    severity: 'MEDIUM',
    cis: '4.9',
    description:
      '`ADD https://…` fetches whatever the server returns at build time, unverified, and adds it as a layer. A compromised or changed server silently changes the image.',
    fix: 'Give the expected checksum (BuildKit, Dockerfile syntax 1.6+), or download with `curl` and verify:\n\n```dockerfile\nADD --checksum=sha256:<sha256> https://example.com/tool.tar.gz /tmp/\n# or\nRUN curl -fsSLo /tmp/tool.tgz https://example.com/tool.tar.gz \\\n && echo "<sha256>  /tmp/tool.tgz" | sha256sum -c -\n```',
  }),
  rule({
    id: 'dockerfile/pkg-upgrade',
    title: 'Whole-system package upgrade in the build',
    severity: 'LOW',
    description:
      '`apt-get upgrade`, `apt-get dist-upgrade`, `apk upgrade`, `dnf upgrade` and the like upgrade every package of the base image at build time: the result depends on the day of the build, it hides how old the base image really is, and it can pull in upgrades that need an interactive step or a restart.',
    fix: 'Rebuild on a newer base image (pinned by digest, updated by a bot) instead; install only the packages you name, at versions you choose.',
  }),
  rule({
    id: 'dockerfile/pkg-update-alone',
    title: 'Package index update in a `RUN` of its own',
    severity: 'LOW',
    cis: '4.7',
    description:
      'A `RUN apt-get update` (or `apk update`) without an install in the same `RUN` is cached as its own layer: later builds reuse the stale index, and the `apt-get install` in a following `RUN` installs old versions or fails.',
    fix: 'Update and install in one `RUN`:\n\n```dockerfile\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*\n```',
  }),
  rule({
    id: 'dockerfile/apt-no-recommends',
    title: '`apt-get install` without `--no-install-recommends`',
    severity: 'LOW',
    cis: '4.3',
    description:
      'By default apt also installs the packages the named ones merely recommend: more software in the image, more vulnerabilities to patch, more attack surface. Setting `APT::Install-Recommends "0"` in an apt configuration file earlier in the Dockerfile also satisfies this rule.',
    fix: 'Add `--no-install-recommends` and name what you really need:\n\n```dockerfile\nRUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \\\n && rm -rf /var/lib/apt/lists/*\n```',
  }),
  rule({
    id: 'dockerfile/apt-lists-kept',
    title: '`apt-get install` leaves `/var/lib/apt/lists` in the layer',
    severity: 'LOW',
    description:
      'The package index downloaded by `apt-get update` stays in the image unless it is removed in the same `RUN` (a later `RUN` cannot shrink an earlier layer). It adds tens of megabytes and a snapshot of index data nobody needs at run time. A `RUN --mount=type=cache` (or `tmpfs`) on `/var/lib/apt` or `/var/lib/apt/lists` also satisfies this rule.',
    fix: 'End the same `RUN` with `rm -rf /var/lib/apt/lists/*`, or mount a build cache there:\n\n```dockerfile\nRUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \\\n    apt-get update && apt-get install -y --no-install-recommends curl\n```',
  }),
  rule({
    id: 'dockerfile/apk-cache-kept',
    title: '`apk add` without `--no-cache`',
    severity: 'LOW',
    description:
      '`apk add` keeps the downloaded index in `/var/cache/apk` unless told not to; it ends up in the layer. `rm -rf /var/cache/apk/*` in the same `RUN`, or a cache mount on `/var/cache/apk` or `/etc/apk/cache`, also satisfies this rule.',
    fix: '```dockerfile\nRUN apk add --no-cache ca-certificates curl\n```',
  }),
  rule({
    id: 'dockerfile/pipe-to-shell',
    title: 'Downloaded script piped into a shell',
    severity: 'HIGH',
    cis: '4.11',
    description:
      '`curl … | sh`, `wget -O- … | bash`, `sh -c "$(curl …)"` and `bash <(curl …)` run whatever the server sends, unverified, as the build user (usually root). A compromised server, a DNS hijack or a truncated download becomes code in your image.',
    fix: 'Download to a file, verify its checksum or signature, then run it:\n\n```dockerfile\nRUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \\\n && echo "<sha256>  /tmp/install.sh" | sha256sum -c - \\\n && sh /tmp/install.sh && rm /tmp/install.sh\n```\nBetter still, install a signed package from a distribution repository.',
  }),
  rule({
    id: 'dockerfile/secret-in-arg-env',
    title: 'Secret-looking `ARG` or `ENV` with a literal value',
    severity: 'HIGH',
    cis: '4.10',
    description:
      'An `ARG` or `ENV` whose name says it holds a secret (`PASSWORD`, `SECRET`, `TOKEN`, `API_KEY`, `PRIVATE_KEY`, `AWS_SECRET_ACCESS_KEY`, …) is given a literal value. `ENV` values are stored in the image config for anyone who can pull the image; `ARG` values are recorded in the image history of every `RUN` that uses them; both are in the Dockerfile, in version control. Names ending in `_FILE`, `_PATH`, `_DIR`, `_URL` and the like (pointers to a secret, not the secret) are not flagged, nor are values that only reference another variable. The finding never repeats the value.',
    fix: 'Pass secrets at build time with a secret mount, and at run time through the orchestrator:\n\n```dockerfile\nRUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci\n```\n`docker build --secret id=npm_token,env=NPM_TOKEN .` Then rotate the exposed secret.',
  }),
  rule({
    id: 'dockerfile/secret-token',
    title: 'Credential pattern in the Dockerfile',
    severity: 'CRITICAL',
    cis: '4.10',
    description:
      'A value matches a high-confidence credential pattern: an AWS access key id (`AKIA…`/`ASIA…`), a GitHub token (`ghp_…`, `gho_…`, `ghs_…`, `github_pat_…`), a GitLab token (`glpat-…`), a Slack token (`xox…-`), an npm token (`npm_…`) or a private key header (`-----BEGIN … PRIVATE KEY-----`), anywhere in an instruction (including `RUN` here-documents). The finding never repeats the value.',
    fix: 'Revoke the credential now: it is in version control and possibly in published images. Then use a secret mount (`RUN --mount=type=secret,…`) instead.',
  }),
  rule({
    id: 'dockerfile/runs-as-root',
    title: 'The final stage runs as root',
    severity: 'MEDIUM',
    cis: '4.1',
    description:
      'The final stage (the image that is shipped) has no `USER` instruction, so the container runs as the base image’s user — root for almost every base image — or its last `USER` is `root` or `0`. A process running as root turns an application bug into control of the container and makes escaping it easier. Bases built to run unprivileged (a `nonroot` tag, as distroless has) are not flagged; `USER` inherited from an earlier stage counts.',
    fix: 'Create an unprivileged user and switch to it at the end of the final stage:\n\n```dockerfile\nRUN useradd --system --uid 10001 --no-create-home app\nUSER 10001\n```',
  }),
  rule({
    id: 'dockerfile/sudo',
    title: '`sudo` in a `RUN`',
    severity: 'MEDIUM',
    description:
      '`sudo` in a build means either the build already runs as root (so it does nothing but add a setuid binary to the image) or the image grants a user password-less root, which defeats the point of that user.',
    fix: 'Run the privileged steps before `USER`, as root, and drop `sudo` from the image. Where a step must switch user at run time, use `gosu` or `setpriv`.',
  }),
  rule({
    id: 'dockerfile/multiple-processes',
    title: 'Several processes in one container',
    severity: 'LOW',
    description:
      'The container’s command starts a process supervisor (`supervisord`, `runsvdir`, `s6-svscan`, an init system), starts services (`service x start`, `/etc/init.d/x start`) before the main program, or backgrounds a process with `&`. Signals, exit codes, logs, health and restarts then apply to the wrong process, and one container image carries the attack surface of several services.',
    fix: 'Run one process per container and compose several containers (Compose, a Kubernetes pod). When a helper must run beside the main process, use a minimal init such as `tini` and let the orchestrator run the helper as a sidecar.',
  }),
  rule({
    id: 'dockerfile/expose-ssh',
    title: 'Port 22 (SSH) is exposed',
    severity: 'LOW',
    cis: '5.6',
    description:
      'An SSH server in a container is a second way in, with its own keys and passwords to manage and patch. Containers are entered with `docker exec` / `kubectl exec`, which need no daemon in the image.',
    fix: 'Remove `EXPOSE 22` and the SSH server; use `docker exec` or `kubectl exec` (or `kubectl debug`) to get a shell.',
  }),
  rule({
    id: 'dockerfile/no-healthcheck',
    title: 'The final stage has no `HEALTHCHECK`',
    severity: 'INFO',
    cis: '4.6',
    description:
      'Without a `HEALTHCHECK`, Docker only knows whether the process is alive, not whether it works. (Kubernetes ignores `HEALTHCHECK` and uses its own probes; there this finding is informational only.) `HEALTHCHECK NONE` is a deliberate choice and is not flagged.',
    fix: '```dockerfile\nHEALTHCHECK --interval=30s --timeout=3s CMD ["/app/healthcheck"]\n```',
  }),
] as const;

/**
 * Rules checked on a built image (src/hygiene/checks/, one file per family):
 * EOL base, stale image, unmanaged software, attack surface, identity and
 * config, secrets in layers, user data. Their ids are `image/<name>`; add them
 * here, in this one list, with the same fields.
 */
export const IMAGE_RULES = [
  rule({
    id: 'image/eol-base',
    title: 'End-of-life distribution or language runtime',
    severity: 'HIGH',
    cis: '4.4',
    description:
      'The image’s distribution release (from `os-release`), or a language runtime installed outside the package manager (Node.js, Python, Go, Java under `/usr/local` or `/opt`), is past the end of its security support: no more security fixes will be published for it, so every vulnerability found from now on stays. The dates come from the EOL data bundled with portcullis (sources and review date in `src/hygiene/data/eol.json`), refreshed by `portcullis db update`. Where a free extended phase exists and is published in the normal archive (Debian LTS) it counts as support; paid extensions (Ubuntu ESM, RHEL ELS) do not.',
    fix: 'Rebuild on a supported release of the base image (`FROM debian:12-slim`, `FROM alpine:3.22`, `FROM node:22-bookworm-slim`…), pinned by digest, and let a bot propose the next upgrade before this one ends.',
  }),
  rule({
    id: 'image/eol-soon',
    title: 'Distribution or language runtime reaches end of life soon',
    severity: 'LOW',
    cis: '4.4',
    description:
      'The distribution release or a language runtime found in the image loses security support within the warning window (`eolWarnDays`, 90 days by default). Plan the upgrade now: after that date no security fixes will be published for it.',
    fix: 'Move to the next supported release of the base image or runtime before the date in the finding; `lint.eolWarnDays` in `.portcullis.yaml` sets the window.',
  }),
  rule({
    id: 'image/stale',
    title: 'The image was built long ago',
    severity: 'LOW',
    cis: '4.4',
    description:
      'The image config’s `created` date is older than `staleDays` (90 by default). Distributions publish security fixes continuously; an image that is not rebuilt never receives them. When an advisory database is available, the finding says how many of the image’s known vulnerabilities have a fixed package version in the distribution already — the ones a plain rebuild (with the package upgrades of the current base) would remove.',
    fix: 'Rebuild and redeploy regularly (weekly is common), on a base image pinned by digest that a bot keeps current; a scheduled CI job that rebuilds without cache (`docker build --pull --no-cache`) picks up distribution fixes.',
  }),
  rule({
    id: 'image/unmanaged-binary',
    title: 'Executable or library that no package manager owns',
    severity: 'MEDIUM',
    description:
      'An ELF executable or shared library (checked by its `\\x7fELF` header) that is in no dpkg/apk/rpm file list, outside recognised language package trees (`node_modules`, `site-packages`/`dist-packages`, Go module caches, Maven/Gradle caches), and not recognised by a cataloguer (a Go or Rust binary with build information is). Software copied in by hand, downloaded with `curl`, or installed with `curl | sh` gets no security updates from the distribution and is invisible to vulnerability scanning: you must track and patch it yourself. Files are grouped by install root (`opt/<product>`, `usr/local/lib/<x>`); binaries in a `bin` directory are named one by one.',
    fix: 'Install the software from the distribution’s repository (`apt-get install`, `apk add`) or from a signed vendor package repository, so it is upgraded and scanned with everything else; or copy it from an official image that publishes an SBOM, and add it to your own SBOM.',
  }),
  rule({
    id: 'image/shell-present',
    title: 'A shell is present in the image',
    severity: 'LOW',
    description:
      'The final image contains a shell (`/bin/sh`, `bash`, `ash`, `dash`, `zsh`, or busybox). A runtime image rarely needs one, and a shell is what an attacker who gets code execution in the application uses next: to download tools, explore and move on. Images built for running one program (distroless, `scratch` + a static binary, Chainguard/Wolfi) have none.',
    fix: 'Use a multi-stage build and copy only the application and its runtime into a minimal final stage:\n\n```dockerfile\nFROM golang:1.24 AS build\nRUN CGO_ENABLED=0 go build -o /app ./cmd/app\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /app /app\nENTRYPOINT ["/app"]\n```',
  }),
  rule({
    id: 'image/package-manager-present',
    title: 'An OS package manager is present in the image',
    severity: 'LOW',
    description:
      'The final image contains `apt`/`dpkg`, `apk`, `yum`/`dnf`/`microdnf` or `rpm`. At run time it lets anyone with a shell in the container install tools, and it invites patching live containers instead of rebuilding images (containers should be immutable: rebuild and redeploy instead).',
    fix: 'Build on a distroless or minimal base in a final stage without a package manager, or remove it at the end of the build for images that must keep a shell (for Debian: `dpkg --purge --force-remove-essential apt` is possible but fragile; prefer a distroless base).',
  }),
  rule({
    id: 'image/large-image',
    title: 'Many more packages or bytes than a minimal base',
    severity: 'INFO',
    cis: '4.3',
    description:
      'The image holds far more OS packages or uncompressed bytes than a minimal image of the same distribution (for example about 90 packages and 80 MB for `debian:12-slim`, 15 packages and 8 MB for `alpine`). Less software means fewer vulnerabilities to patch and less attack surface. The finding is informational: some applications need what they install.',
    fix: 'Install with `--no-install-recommends`/`--no-cache`, remove build tools in the same `RUN` or use a multi-stage build, and start from a `-slim`, Alpine or distroless base.',
  }),
  rule({
    id: 'image/setuid',
    title: 'File with the setuid or setgid bit',
    severity: 'MEDIUM',
    cis: '4.8',
    description:
      'A regular file in the final image has the setuid or setgid permission bit: it runs with its owner’s (usually root’s) or group’s rights whatever user starts it, which is how an unprivileged process inside a container escalates. Containers rarely need any (`passwd`, `su`, `mount` come with the base image but are not used at run time).',
    fix: 'Remove the bits at the end of the build (and run with `--security-opt no-new-privileges`):\n\n```dockerfile\nRUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true\n```',
  }),
  rule({
    id: 'image/world-writable',
    title: 'World-writable directory without the sticky bit',
    severity: 'MEDIUM',
    description:
      'A directory in the final image is writable by every user and lacks the sticky bit (`chmod 777` instead of `1777`), so every process can delete or replace every file in it, including another user’s, which turns a compromised low-privilege process into tampering with the application’s code or data.',
    fix: 'Give the directory to the user that needs it instead of opening it to everyone, or add the sticky bit for shared scratch space:\n\n```dockerfile\nRUN chown 10001:10001 /app/data && chmod 0750 /app/data\n# shared scratch space only:\nRUN chmod 1777 /scratch\n```',
  }),
  rule({
    id: 'image/pkg-cache',
    title: 'Package-manager caches left in the image',
    severity: 'LOW',
    description:
      'Downloaded packages and indexes stay in the image: `var/cache/apt/archives/*.deb`, `var/lib/apt/lists/*`, `var/cache/apk/*`, `root/.npm`, `root/.cache/pip` (and the same under home directories). They add size, hold stale index data, and are sometimes what a later `RUN` installs from by mistake. The finding gives the number of files, their size and the layer that left them.',
    fix: 'Clean in the same `RUN` that installs, or use a build cache mount:\n\n```dockerfile\nRUN apt-get update && apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*\nRUN apk add --no-cache curl\nRUN pip install --no-cache-dir -r requirements.txt\nRUN --mount=type=cache,target=/root/.npm npm ci\n```',
  }),
  rule({
    id: 'image/runs-as-root',
    title: 'The image runs as root',
    severity: 'MEDIUM',
    cis: '4.1',
    description:
      'The image config has no `User`, or it is `0`, `root`, `0:0` or `root:root`: the container’s process runs as root unless the orchestrator overrides it. Root in a container is root on shared kernel resources and one kernel or runtime bug away from root on the host.',
    fix: 'Create an unprivileged user and set it in the final stage (`USER 10001`); use a numeric id so Kubernetes `runAsNonRoot` can check it.',
  }),
  rule({
    id: 'image/no-healthcheck',
    title: 'The image has no HEALTHCHECK',
    severity: 'INFO',
    cis: '4.6',
    description:
      'The image config has no `Healthcheck`, so Docker only knows whether the process is alive, not whether it works. (Kubernetes ignores it and uses probes; there this is informational.) A `HEALTHCHECK NONE` is a deliberate choice and is not flagged.',
    fix: '```dockerfile\nHEALTHCHECK --interval=30s --timeout=3s CMD ["/app/healthcheck"]\n```',
  }),
  rule({
    id: 'image/secret-in-config',
    title: 'Secret in the image config (ENV, labels or history)',
    severity: 'HIGH',
    cis: '4.10',
    description:
      'An environment variable or label whose name says it holds a secret (`PASSWORD`, `TOKEN`, `SECRET`, `API_KEY`, …) has a literal value, or a value, label or history entry (`created_by`, which records build arguments and commands) matches a high-confidence credential pattern (AWS key id, GitHub/GitLab/Slack/npm token, private key header). The config is readable by anyone who can pull the image. The finding never shows the value.',
    fix: 'Pass secrets at run time (orchestrator secrets, mounted files) and at build time with `RUN --mount=type=secret`; rebuild without the secret, and revoke it: it is in every copy of the image already pulled.',
  }),
  rule({
    id: 'image/expose-ssh',
    title: 'The image exposes port 22 (SSH)',
    severity: 'LOW',
    cis: '5.6',
    description:
      'The config’s `ExposedPorts` include `22/tcp`. An SSH server in a container is a second way in, with its own keys and passwords to manage and patch; containers are entered with `docker exec`/`kubectl exec`.',
    fix: 'Remove `EXPOSE 22` and the SSH server; use `docker exec`, `kubectl exec` or `kubectl debug`.',
  }),
  rule({
    id: 'image/secret-in-layer',
    title: 'Secret file in a layer (also when deleted later)',
    severity: 'CRITICAL',
    cis: '4.10',
    description:
      'A layer holds a private key (PEM header), cloud credentials (`.aws/credentials`, a GCP service-account key), a `.env` file or config file with a password, an `.npmrc` with an `_authToken`, a `.git-credentials`, a `.docker/config.json` with registry `auths`, a kube config with credentials, or a high-confidence token. Every layer is checked, so a file deleted by a later layer is still found: deleting it only hides it, the layer that added it is still part of the image and anyone can extract it. Files owned by an OS package, in test directories, binary files (NUL bytes) and bytes beyond the first 256 KiB of a file are not checked. The finding never shows the secret.',
    fix: 'Never `COPY` secrets into an image: use `RUN --mount=type=secret` for build-time secrets and runtime secrets for the rest; add the files to `.dockerignore`. Rebuild without the secret (removing it in a later layer does not help) and revoke the exposed credential.',
  }),
  rule({
    id: 'image/user-data',
    title: 'User data in the image',
    severity: 'MEDIUM',
    description:
      'The image ships data that belongs in a volume or a database service: database files (`*.sqlite`, `*.sqlite3`, `*.db` not owned by an OS package, `var/lib/mysql/`, `var/lib/postgresql/*/main/`, `var/lib/mongodb/`), or a `VOLUME` path that already contains files. Data baked into an image is copied to every registry and host that pulls it, cannot be updated without a rebuild, and for a `VOLUME` is silently copied into each new volume.',
    fix: 'Keep data out of the build context (`.dockerignore`), create databases at first start, and mount volumes for state; leave `VOLUME` directories empty in the image.',
  }),
] as const satisfies readonly Rule[];

export type DockerfileRuleId = (typeof DOCKERFILE_RULES)[number]['id'];
export type ImageRuleId = (typeof IMAGE_RULES)[number]['id'];
export type RuleId = DockerfileRuleId | ImageRuleId;

/** Every rule, Dockerfile rules first, each id once. */
export const RULES: readonly Rule[] = [...DOCKERFILE_RULES, ...IMAGE_RULES];

const BY_ID = new Map<string, Rule>();
for (const r of RULES) {
  if (BY_ID.has(r.id)) throw new Error(`hygiene rule ${r.id} is defined twice`);
  BY_ID.set(r.id, r);
}

/** The rule with this id, or undefined. */
export function findRule(id: string): Rule | undefined {
  return BY_ID.get(id);
}

/** The rule with this id; throws (a programming error) when it is not in the catalogue. */
export function getRule(id: RuleId): Rule {
  const r = BY_ID.get(id);
  if (!r) throw new Error(`hygiene rule ${id} is not in the catalogue`);
  return r;
}
