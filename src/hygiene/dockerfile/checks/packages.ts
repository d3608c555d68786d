/**
 * Package-manager hygiene in RUN: dockerfile/pkg-upgrade,
 * dockerfile/pkg-update-alone, dockerfile/apt-no-recommends,
 * dockerfile/apt-lists-kept, dockerfile/apk-cache-kept.
 */
import type { Flag } from 'dockerfile-ast';
import type { DockerfileCheck } from '../check.js';
import type { CommandView, DockerfileContext } from '../context.js';
import { resolveCommand, type ResolvedCommand, type Word } from '../shell.js';

interface PackageCommand {
  readonly tool: 'apt' | 'apk' | 'dnf';
  readonly command: ResolvedCommand;
  /** The subcommand word (`install`, `add`, …). */
  readonly sub: Word;
  /** Words after the subcommand. */
  readonly rest: Word[];
}

const APT_VALUE_OPTIONS = new Set(['-o', '-c', '-t', '-a', '--option', '--config-file', '--target-release', '--default-release', '--host-architecture']);
const APK_VALUE_OPTIONS = new Set(['-X', '-p', '-t', '--repository', '--root', '--arch', '--repositories-file', '--keys-dir', '--cache-dir', '--virtual']);
const DNF_VALUE_OPTIONS = new Set(['-c', '-d', '-e', '-R', '--config', '--releasever', '--installroot', '--setopt', '--enablerepo', '--disablerepo', '--repo', '-x', '--exclude']);

function packageCommand(cmd: ResolvedCommand): PackageCommand | undefined {
  const tool = cmd.name === 'apt-get' || cmd.name === 'apt' ? 'apt' : cmd.name === 'apk' ? 'apk' : ['dnf', 'yum', 'microdnf', 'tdnf'].includes(cmd.name) ? 'dnf' : undefined;
  if (!tool) return undefined;
  const valueOptions = tool === 'apt' ? APT_VALUE_OPTIONS : tool === 'apk' ? APK_VALUE_OPTIONS : DNF_VALUE_OPTIONS;
  for (let i = 0; i < cmd.args.length; i++) {
    const v = (cmd.args[i] as Word).value;
    if (valueOptions.has(v)) {
      i++;
      continue;
    }
    if (v.startsWith('-')) continue;
    return { tool, command: cmd, sub: cmd.args[i] as Word, rest: cmd.args.slice(i + 1) };
  }
  return undefined;
}

const span = (p: PackageCommand): { start: number; end: number } => ({ start: p.command.word.start, end: p.sub.end });

/** `--no-install-recommends`, or `-o APT::Install-Recommends=false` on the command line. */
function noRecommends(p: PackageCommand): boolean {
  const words = p.command.args.map((w) => w.value);
  return words.some((v, i) => {
    if (v === '--no-install-recommends' || v.startsWith('--no-install-recommends=')) return true;
    const opt = v === '-o' || v === '--option' ? words[i + 1] : /^(?:-o|--option=)(.*)$/.exec(v)?.[1];
    return opt !== undefined && /^APT::Install-Recommends=(?:0|false|no)$/i.test(opt);
  });
}

/** Targets of `--mount=type=cache|tmpfs,target=…` flags. */
function mountTargets(flags: readonly Flag[]): string[] {
  const targets: string[] = [];
  for (const f of flags) {
    if (f.getName() !== 'mount') continue;
    const opts = new Map(f.getOptions().map((o) => [o.getName(), o.getValue() ?? '']));
    const type = opts.get('type') ?? 'bind';
    const target = opts.get('target') ?? opts.get('dst') ?? opts.get('destination');
    if ((type === 'cache' || type === 'tmpfs') && target) targets.push(target.replace(/\/+$/, ''));
  }
  return targets;
}

/** Does some command in the view delete `dir` (or everything in it, or a parent)? */
function removes(view: CommandView, dirs: readonly string[]): boolean {
  const paths = dirs.map((d) => d.replace(/\/+$/, ''));
  return view.commands.some((c) => {
    const r = resolveCommand(c);
    if (!r) return false;
    if (r.name === 'rm' || r.name === 'find') {
      return r.args.some((a) => {
        const v = a.value.replace(/\/\*$/, '').replace(/\/+$/, '');
        return paths.includes(v);
      });
    }
    return false;
  });
}

function check(ctx: DockerfileContext): void {
  let recommendsOffByConfig = false;
  for (const instr of ctx.runs()) {
    const view = ctx.commands(instr);
    if (!view) continue;
    const pkgs: PackageCommand[] = [];
    for (const c of view.commands) {
      const r = resolveCommand(c);
      const p = r ? packageCommand(r) : undefined;
      if (p) pkgs.push(p);
    }
    const targets = mountTargets(view.flags);
    const aptInstalls = pkgs.filter((p) => p.tool === 'apt' && (p.sub.value === 'install' || p.sub.value === 'reinstall'));
    const apkAdds = pkgs.filter((p) => p.tool === 'apk' && p.sub.value === 'add');

    for (const p of aptInstalls) {
      if (!recommendsOffByConfig && !noRecommends(p)) {
        ctx.report({
          ruleId: 'dockerfile/apt-no-recommends',
          ...span(p),
          message: `${p.command.name} ${p.sub.value} without --no-install-recommends`,
          fix: `${p.command.name} ${p.sub.value} -y --no-install-recommends …`,
        });
      }
    }
    const firstApt = aptInstalls[0];
    if (firstApt) {
      const cached = targets.some((t) => t === '/var/lib/apt' || t === '/var/lib/apt/lists');
      if (!cached && !removes(view, ['/var/lib/apt/lists', '/var/lib/apt'])) {
        ctx.report({
          ruleId: 'dockerfile/apt-lists-kept',
          ...span(firstApt),
          message: `${firstApt.command.name} ${firstApt.sub.value} without 'rm -rf /var/lib/apt/lists/*' in the same RUN`,
          fix: "… && rm -rf /var/lib/apt/lists/*",
        });
      }
    }
    const apkCached = targets.some((t) => t === '/var/cache/apk' || t === '/etc/apk/cache') || removes(view, ['/var/cache/apk']);
    for (const p of apkAdds) {
      if (apkCached || p.command.args.some((a) => a.value === '--no-cache')) continue;
      ctx.report({ ruleId: 'dockerfile/apk-cache-kept', ...span(p), message: 'apk add without --no-cache', fix: 'apk add --no-cache …' });
    }
    for (const p of pkgs) {
      const sub = p.sub.value;
      const whole =
        (p.tool === 'apt' && ['upgrade', 'dist-upgrade', 'full-upgrade'].includes(sub)) ||
        (p.tool === 'apk' && sub === 'upgrade') ||
        (p.tool === 'dnf' && ['upgrade', 'update', 'distro-sync'].includes(sub) && !p.rest.some((w) => !w.value.startsWith('-')));
      if (whole) {
        ctx.report({ ruleId: 'dockerfile/pkg-upgrade', ...span(p), message: `${p.command.name} ${sub} upgrades every package of the base image` });
      }
    }
    for (const tool of ['apt', 'apk'] as const) {
      const update = pkgs.find((p) => p.tool === tool && p.sub.value === 'update');
      const uses = pkgs.some((p) => p.tool === tool && p.sub.value !== 'update');
      if (update && !uses) {
        ctx.report({
          ruleId: 'dockerfile/pkg-update-alone',
          ...span(update),
          message: `${update.command.name} update without an install in the same RUN`,
        });
      }
    }
    if (view.commands.some((c) => c.words.some((w) => /APT::Install-Recommends\s*"?(?:0|false)/i.test(w.value)))) recommendsOffByConfig = true;
  }
}

export const packagesCheck: DockerfileCheck = {
  name: 'packages',
  rules: ['dockerfile/pkg-upgrade', 'dockerfile/pkg-update-alone', 'dockerfile/apt-no-recommends', 'dockerfile/apt-lists-kept', 'dockerfile/apk-cache-kept'],
  check,
};
