/**
 * What kind of secret a file holds, from its path and its text (never
 * returning the secret): private keys, cloud and registry credentials,
 * `.env`/`.npmrc`/`.git-credentials`/`.netrc`/kube configs with credentials,
 * config files with a secret-named setting given a literal value, and
 * high-confidence tokens. Used by `image/secret-in-layer` on every layer.
 */
import { findTokens, isSecretName, isSecretValue } from './patterns.js';

function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** Directories whose files are other projects' test data or documentation, not deployment secrets. */
const NOT_DEPLOYED = /(?:^|\/)(?:tests?|testdata|testing|__tests__|test-fixtures|fixtures|spec)(?:\/|$)|^usr\/share\/(?:doc|man|info)\//;

/** Language package trees: only token patterns and credential files count there (packages ship example keys). */
export const LANGUAGE_TREE = /(?:^|\/)(?:node_modules|site-packages|dist-packages|vendor\/bundle|gems|\.m2\/repository|pkg\/mod)\//;

/** True when a path is in a test or documentation directory (its content is not checked). */
export function isNotDeployed(path: string): boolean {
  return NOT_DEPLOYED.test(path);
}

const CONFIG_FILE = /\.(?:conf|cfg|cnf|ini|properties|toml|ya?ml|json|env|secrets?|credentials|pass(?:word)?)$/i;
const ENV_FILE = /^\.env(?:\.[A-Za-z0-9_-]+)?$/;
const ENV_EXAMPLE = /\.(?:example|sample|template|dist|defaults?)$/i;
const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?["']?([A-Za-z_][A-Za-z0-9_.-]{0,80})["']?[ \t]*[=:][ \t]*["']?([^\s"'#,;]{1,400})/gm;
const PLACEHOLDER = /^(?:\$|%\(|\{\{|<|\*+$|x+$|\.\.\.|null$|none$|changeme$|password$|secret$|example|redacted)/i;

function hasSecretAssignment(text: string): boolean {
  ASSIGNMENT.lastIndex = 0;
  for (const m of text.matchAll(ASSIGNMENT)) {
    const name = (m[1] ?? '').replace(/[.-]/g, '_');
    // nsswitch.conf and PAM name the passwd database, not a password.
    if (/^passwd$/i.test(name)) continue;
    const value = m[2] ?? '';
    if (!isSecretName(name) || !isSecretValue(value) || value.length < 4 || PLACEHOLDER.test(value)) continue;
    return true;
  }
  return false;
}

/**
 * The kinds of secret in a file (`a private key`, `npm registry credentials`,
 * …), most specific first; empty when none. `text` is the file's first bytes
 * decoded as latin1.
 */
export function secretKindsIn(path: string, text: string): string[] {
  const kinds = new Set<string>();
  const base = baseName(path);
  const inTree = LANGUAGE_TREE.test(path);
  if (base === '.npmrc' && /(?:^|\n)[^\n#;]*(?:_authToken|_auth|_password)[ \t]*=[ \t]*(?!\$\{)[^\s]/.test(text)) kinds.add('npm registry credentials');
  if (base === '.git-credentials' && /[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:[^@\s]+@/i.test(text)) kinds.add('git credentials');
  if (base === '.netrc' && /\bpassword[ \t]+\S/.test(text)) kinds.add('.netrc credentials');
  if (base === '.pypirc' && /^[ \t]*password[ \t]*[=:][ \t]*\S/m.test(text)) kinds.add('PyPI credentials');
  if (path.endsWith('.aws/credentials') && /aws_secret_access_key[ \t]*=[ \t]*\S/i.test(text)) kinds.add('AWS credentials');
  if (path.endsWith('.docker/config.json') && /"auth"[ \t]*:[ \t]*"[^"]+"/.test(text)) kinds.add('container registry credentials');
  if (path.endsWith('.kube/config') && /^[ \t]*(?:client-key-data|token|password)[ \t]*:[ \t]*\S/m.test(text)) kinds.add('Kubernetes credentials');
  const gcp = /"type"\s*:\s*"service_account"/.test(text) && /"private_key"\s*:\s*"-----BEGIN/.test(text);
  if (gcp) kinds.add('a GCP service-account key');
  for (const t of findTokens(text)) {
    if (t.kind === 'a private key' && (gcp || inTree)) continue;
    kinds.add(t.kind);
  }
  if (ENV_FILE.test(base) && !ENV_EXAMPLE.test(base) && hasSecretAssignment(text)) kinds.add('a .env file with secrets');
  else if (!inTree && CONFIG_FILE.test(base) && hasSecretAssignment(text)) kinds.add('a secret-named setting with a literal value');
  else if (!inTree && !base.includes('.') && path.startsWith('etc/') && hasSecretAssignment(text)) kinds.add('a secret-named setting with a literal value');
  return [...kinds];
}
