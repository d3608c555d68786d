/**
 * Identity and configuration: image/runs-as-root, image/no-healthcheck,
 * image/secret-in-config (ENV, labels, history), image/expose-ssh.
 */
import { findTokens, isSecretName, isSecretValue } from '../secrets/patterns.js';
import type { ImageCheck, ImageLintContext } from './check.js';

const ROOT = new Set(['', '0', 'root', '0:0', 'root:root', 'root:0', '0:root']);
const ASSIGNMENT = /(?:^|[\s|])([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/g;

function unquote(v: string): string {
  return /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
}

/** The history index of the last entry whose command matches, for a location. */
function lastHistory(ctx: ImageLintContext, test: RegExp): { historyIndex: number; createdBy: string } | undefined {
  const history = ctx.facts.config?.history ?? [];
  for (let i = history.length - 1; i >= 0; i--) {
    const by = history[i]?.created_by;
    if (by && test.test(by)) return { historyIndex: i, createdBy: by };
  }
  return undefined;
}

function check(ctx: ImageLintContext): void {
  const config = ctx.facts.config;
  const c = config?.config ?? {};
  // Root.
  const user = (c.User ?? '').trim();
  if (ROOT.has(user)) {
    ctx.report({
      ruleId: 'image/runs-as-root',
      message: user === '' ? 'the image config sets no User: the container runs as root' : `the image config's User is "${user}": the container runs as root`,
    });
  }
  // Healthcheck.
  if (!c.Healthcheck || !Array.isArray(c.Healthcheck.Test) || c.Healthcheck.Test.length === 0) {
    ctx.report({ ruleId: 'image/no-healthcheck', message: 'the image config has no Healthcheck' });
  }
  // SSH.
  const ports = Object.keys(c.ExposedPorts ?? {});
  if (ports.some((p) => p === '22' || p === '22/tcp')) {
    const h = lastHistory(ctx, /EXPOSE\b.*\b22\b/);
    ctx.report({ ruleId: 'image/expose-ssh', ...(h ? { historyIndex: h.historyIndex } : {}), message: 'the image exposes port 22/tcp (SSH)' });
  }
  // Secrets in ENV.
  for (const entry of c.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const name = entry.slice(0, eq);
    const value = entry.slice(eq + 1);
    const tokens = findTokens(value);
    if (tokens.length > 0) {
      ctx.report({ ruleId: 'image/secret-in-config', message: `ENV ${name} holds ${tokens[0]?.kind} (value not shown)` });
    } else if (isSecretName(name) && isSecretValue(value)) {
      ctx.report({ ruleId: 'image/secret-in-config', message: `ENV ${name} is set to a literal value (not shown)` });
    }
  }
  // Secrets in labels.
  for (const [name, value] of Object.entries(c.Labels ?? {})) {
    const tokens = findTokens(`${value}`);
    const last = name.split(/[./]/).pop() ?? name;
    if (tokens.length > 0) ctx.report({ ruleId: 'image/secret-in-config', message: `label ${name} holds ${tokens[0]?.kind} (value not shown)` });
    else if (isSecretName(last.replace(/-/g, '_')) && isSecretValue(`${value}`)) {
      ctx.report({ ruleId: 'image/secret-in-config', message: `label ${name} is set to a literal value (not shown)` });
    }
  }
  // Secrets in history (build commands and the build arguments BuildKit records in them).
  for (const [i, h] of (config?.history ?? []).entries()) {
    const by = h.created_by ?? '';
    if (by === '') continue;
    const tokens = findTokens(by);
    const names = new Set<string>();
    for (const m of by.matchAll(ASSIGNMENT)) {
      const name = m[1] ?? '';
      if (isSecretName(name) && isSecretValue(unquote(m[2] ?? ''))) names.add(name);
    }
    const env = /^\s*(?:\/bin\/sh -c #\(nop\)\s*)?ENV\b/.test(by);
    if (tokens.length === 0 && names.size === 0) continue;
    // ENV steps repeat what Env already shows; report them only for tokens or when Env no longer has them.
    if (env && tokens.length === 0 && [...names].every((n) => (c.Env ?? []).some((e) => e.startsWith(`${n}=`)))) continue;
    const what = tokens.length > 0 ? (tokens[0]?.kind as string) : `a literal value for ${[...names].join(', ')}`;
    ctx.report({ ruleId: 'image/secret-in-config', historyIndex: i, message: `history entry ${i} (the build step's command) holds ${what} (not shown)` });
  }
}

export const identityCheck: ImageCheck = {
  name: 'identity',
  rules: ['image/runs-as-root', 'image/no-healthcheck', 'image/secret-in-config', 'image/expose-ssh'],
  check,
};
