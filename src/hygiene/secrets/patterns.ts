/**
 * Credential patterns shared by the Dockerfile linter and the image checks:
 * high-confidence token formats (each with a prefix or structure that makes a
 * false positive unlikely), secret-looking variable names, and redaction.
 * Nothing here ever returns the secret itself.
 */

export interface TokenPattern {
  /** How the finding names it: "an AWS access key id". */
  readonly kind: string;
  /** Global regular expression. */
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
export const DOCUMENTATION_EXAMPLE = /EXAMPLE$/;

const SECRET_NAME = /(?:^|_)(?:PASSWORD|PASSWD|SECRET|SECRET_?KEY|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?TOKEN|AUTH_?TOKEN|CLIENT_?SECRET|CREDENTIALS?)(?:$|_)/i;
/** Names that point at a secret rather than hold one. */
const POINTER_SUFFIX = /_(?:FILE|PATH|DIR|URL|URI|ENDPOINT|HOST|PORT|NAME|ID_FILE|LENGTH|LEN|TTL|TIMEOUT|EXPIRY|EXPIRES|TYPE|HEADER|ENABLED|REQUIRED|MOUNT)$/i;
const ONLY_VARIABLES = /^(?:\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-+?][^}]*)?\}|\$[A-Za-z_][A-Za-z0-9_]*)+$/;
const NOT_A_SECRET_VALUE = /^(?:true|false|yes|no|on|off)$/i;

/** True for a name like DB_PASSWORD, GITHUB_TOKEN, API_KEY (and not DB_PASSWORD_FILE). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !POINTER_SUFFIX.test(name);
}

/**
 * True when a value given to a secret-named variable looks like a secret:
 * not empty, not only a reference to another variable, not a boolean or a
 * placeholder, not a path to a mounted secret.
 */
export function isSecretValue(value: string): boolean {
  const v = value.trim();
  if (v === '' || ONLY_VARIABLES.test(v) || NOT_A_SECRET_VALUE.test(v)) return false;
  if (v.startsWith('/run/secrets/')) return false;
  return true;
}

export interface TokenMatch {
  readonly kind: string;
  /** Offset of the match in the text. */
  readonly index: number;
  readonly length: number;
}

/** Every high-confidence token in `text` (documentation examples excluded), in text order. */
export function findTokens(text: string): TokenMatch[] {
  const out: TokenMatch[] = [];
  for (const { kind, pattern } of TOKEN_PATTERNS) {
    pattern.lastIndex = 0;
    for (const m of text.matchAll(pattern)) {
      if (DOCUMENTATION_EXAMPLE.test(m[0])) continue;
      out.push({ kind, index: m.index, length: m[0].length });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}


const ASSIGNMENT = /(^|[\s|])([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/g;

/** `text` with every token and every secret-named assignment's value replaced by `<redacted>`. */
export function redactText(text: string): string {
  let out = text;
  for (const t of findTokens(text).reverse()) out = `${out.slice(0, t.index)}<redacted>${out.slice(t.index + t.length)}`;
  return out.replace(ASSIGNMENT, (all: string, pre: string, name: string, value: string) =>
    isSecretName(name) && isSecretValue(value.replace(/^(["'])(.*)\1$/, '$2')) ? `${pre}${name}=<redacted>` : all,
  );
}
