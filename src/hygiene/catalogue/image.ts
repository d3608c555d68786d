import type { Rule } from '../check.js';
import { rule } from './entry.js';

/**
 * Rules checked on a built image (src/hygiene/image/, one file per family):
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
      'An ELF executable or shared library (checked by its `\\x7fELF` header) that is in no dpkg/apk/rpm file list, and outside recognised language package trees (`node_modules`, `site-packages`/`dist-packages`, Go module caches, Maven/Gradle caches). Software copied in by hand, downloaded with `curl`, or installed with `curl | sh` gets no security updates from the distribution and, without build information, is invisible to vulnerability scanning: you must track and patch it yourself. A Go or Rust executable with build information is reported too, with its toolchain and module count: `portcullis scan` matches its modules, but the distribution’s updates never fix them — only a rebuild does. Files are grouped by install root (`opt/<product>`, `usr/local/lib/<x>`); binaries in a `bin` directory are named one by one.',
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
    title: 'Setuid or setgid file that no package owns',
    severity: 'HIGH',
    cis: '4.8',
    description:
      'A regular file in the final image that no OS package owns has the setuid or setgid permission bit: it runs with its owner’s (usually root’s) or group’s rights whatever user starts it, which is how an unprivileged process inside a container escalates. Nobody audits or patches a file added by hand with these bits. (Until 0.x this rule also reported the distribution’s own `passwd`, `su`, `mount`…; those are now one `image/setuid-packaged` summary.)',
    fix: 'Remove the bits at the end of the build (and run with `--security-opt no-new-privileges`):\n\n```dockerfile\nRUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true\n```',
  }),
  rule({
    id: 'image/setuid-packaged',
    title: 'Setuid or setgid files installed by OS packages',
    severity: 'INFO',
    cis: '4.8',
    description:
      'Files the distribution’s packages install with the setuid or setgid bit (`passwd`, `su`, `mount`, `chsh`, …), summarised in one finding. They are patched with their packages, but a container rarely uses them at run time, and each is a way to gain root for a process that gets a shell.',
    fix: 'Strip the bits at the end of the build, or run with `--security-opt no-new-privileges` (Kubernetes: `allowPrivilegeEscalation: false`):\n\n```dockerfile\nRUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true\n```',
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
