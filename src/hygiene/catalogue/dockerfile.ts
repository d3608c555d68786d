/**
 * The Dockerfile half of the hygiene rule catalogue (see ../rules.ts, the
 * catalogue's entry: ids, severities, documentation and fixes).
 */
import { rule } from './entry.js';

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
  rule({
    id: 'dockerfile/base-eol',
    title: 'Base image is an end-of-life release',
    severity: 'HIGH',
    cis: '4.4',
    description:
      'The `FROM` tag names a distribution release or a language runtime past the end of its security support (`debian:buster`, `alpine:3.12`, `node:14`, `python:3.7`, `golang:1.19`, `ubi8/ubi` once RHEL 8 ends, a variant such as `python:3.12-slim-buster` for its Debian part). No more fixes will be published for it: every vulnerability found from now on stays. Judged against the same end-of-life data as `image/eol-base` (refreshed by `portcullis db update`); a tag whose version the rule cannot read is not judged, and the built image is still checked by `image/eol-base`.',
    fix: 'Move to a supported release and pin it by digest:\n\n```dockerfile\nFROM python:3.12-slim-bookworm@sha256:<digest>\n```',
  }),
  rule({
    id: 'dockerfile/maintainer',
    title: '`MAINTAINER` is deprecated',
    severity: 'INFO',
    description:
      '`MAINTAINER` has been deprecated since Docker 1.13; it sets a legacy config field that registries, scanners and `docker inspect --format {{.Config.Labels}}` do not show. The OCI annotation `org.opencontainers.image.authors` is where tools look for the author.',
    fix: '```dockerfile\nLABEL org.opencontainers.image.authors="team@example.com"\n```',
  }),
  rule({
    id: 'dockerfile/workdir-relative',
    title: '`WORKDIR` with a relative path',
    severity: 'LOW',
    description:
      'A relative `WORKDIR` resolves against the previous `WORKDIR` — possibly the base image’s, which the base image’s authors may change in any release. The files of later `COPY` and `RUN` steps then land somewhere else without an error.',
    fix: 'Use an absolute path:\n\n```dockerfile\nWORKDIR /app\n```',
  }),
  rule({
    id: 'dockerfile/shell-form-cmd',
    title: '`CMD` or `ENTRYPOINT` in shell form',
    severity: 'LOW',
    description:
      'The final stage’s last `CMD` or `ENTRYPOINT` is in shell form (`CMD node server.js`), so the container runs `/bin/sh -c "node server.js"`: the shell is PID 1 and does not forward `SIGTERM` to the program. `docker stop` and Kubernetes then wait for their grace period and kill the program without a clean shutdown (open requests dropped, files half-written). A shell form whose last command is `exec program` replaces the shell with the program and is not flagged.',
    fix: 'Use the JSON (exec) form, or `exec` the program when a shell is needed for variable expansion:\n\n```dockerfile\nCMD ["node", "server.js"]\n# or\nCMD exec node server.js --port "$PORT"\n```',
  }),
  rule({
    id: 'dockerfile/chmod-world-writable',
    title: '`chmod` makes files writable by everyone',
    severity: 'MEDIUM',
    description:
      'A `RUN chmod` grants write permission to all users (`chmod 777`, `chmod -R 666`, `chmod o+w`, `chmod a=rwx`). Whatever user the container runs as, and any other process in it, may then replace the program, its libraries or its configuration — the usual way a small foothold becomes persistence. Modes with the sticky bit (`1777`, as `/tmp` has) are not flagged.',
    fix: 'Give the files to the user that needs to write them and keep others read-only:\n\n```dockerfile\nRUN chown -R 10001:0 /app/data && chmod -R 750 /app/data\n```',
  }),
] as const;
