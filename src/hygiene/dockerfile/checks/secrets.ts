/**
 * dockerfile/secret-token: high-confidence credential patterns anywhere in an
 * instruction; dockerfile/secret-in-arg-env: ARG/ENV whose name says secret
 * and whose value is a literal. Messages never contain the value.
 */
import { Arg, Env } from 'dockerfile-ast';
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';

export interface TokenPattern {
  readonly kind: string;
  readonly pattern: RegExp;
}

export const TOKEN_PATTERNS: readonly TokenPattern[] = [
  { kind: 'an AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'a GitHub token', pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b/g },
  { kind: 'a GitHub token', pattern: /\bgithub_pat_[A-Za-z0-9_]{82}\b/g },
  { kind: 'a GitLab token', pattern: /\bglpat-[A-Za-z0-9_-]{20}\b/g },
  { kind: 'a Slack token', pattern: /\bxox[baprs]-[A-Za-z0-9-]{10,}/g },
  { kind: 'an npm token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: 'a private key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g },
];

/** AWS's documentation keys (`AKIAIOSFODNN7EXAMPLE`) are not secrets. */
const DOCUMENTATION_EXAMPLE = /EXAMPLE$/;

const SECRET_NAME = /(?:^|_)(?:PASSWORD|PASSWD|SECRET|SECRET_?KEY|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?TOKEN|AUTH_?TOKEN|CLIENT_?SECRET|CREDENTIALS?)(?:$|_)/i;
/** Names that point at a secret rather than hold one. */
const POINTER_SUFFIX = /_(?:FILE|PATH|DIR|URL|URI|ENDPOINT|HOST|PORT|NAME|ID_FILE|LENGTH|LEN|TTL|TIMEOUT|EXPIRY|EXPIRES|TYPE|HEADER|ENABLED|REQUIRED|MOUNT)$/i;
const ONLY_VARIABLES = /^(?:\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-+?][^}]*)?\}|\$[A-Za-z_][A-Za-z0-9_]*)+$/;
const NOT_A_SECRET_VALUE = /^(?:true|false|yes|no|on|off)$/i;

/** True for a name like DB_PASSWORD, GITHUB_TOKEN, API_KEY (and not DB_PASSWORD_FILE). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !POINTER_SUFFIX.test(name);
}

function check(ctx: DockerfileContext): void {
  const { doc } = ctx;
  const flagged: { start: number; end: number }[] = [];
  for (const { kind, pattern } of TOKEN_PATTERNS) {
    for (const m of doc.text.matchAll(pattern)) {
      const start = m.index;
      const line = doc.positionAt(start).line - 1;
      if (doc.commentLines.has(line) || DOCUMENTATION_EXAMPLE.test(m[0])) continue;
      const end = start + m[0].length;
      flagged.push({ start, end });
      ctx.report({ ruleId: 'dockerfile/secret-token', start, end, message: `${kind} is written in the Dockerfile (value not shown)` });
    }
  }
  for (const instr of [...doc.instructions, ...doc.triggers]) {
    const node = instr.node;
    if (!(node instanceof Arg || node instanceof Env)) continue;
    for (const p of node.getProperties()) {
      const name = p.getName();
      const value = p.getValue();
      const valueRange = p.getValueRange();
      if (value === null || valueRange === null || !isSecretName(name)) continue;
      const v = value.trim();
      if (v === '' || ONLY_VARIABLES.test(v) || NOT_A_SECRET_VALUE.test(v) || v.startsWith('/run/secrets/')) continue;
      const start = doc.offsetAt(p.getNameRange().start);
      const end = doc.offsetAt(valueRange.end);
      if (flagged.some((f) => f.start < end && start < f.end)) continue;
      const what = node instanceof Arg ? `ARG ${name} has a literal default` : `ENV ${name} is set to a literal value`;
      ctx.report({ ruleId: 'dockerfile/secret-in-arg-env', start, end, message: `${what} (not shown)` });
    }
  }
}

export const secretsCheck: DockerfileCheck = { name: 'secrets', rules: ['dockerfile/secret-in-arg-env', 'dockerfile/secret-token'], check };
