/**
 * dockerfile/base-eol: a `FROM` whose tag names a distribution release or a
 * language runtime cycle past the end of its security support
 * (`debian:buster`, `alpine:3.12`, `python:3.7-slim-buster`, `node:14`,
 * `golang:1.19-alpine3.17`, `ubi8/ubi`…), judged against the same EOL data
 * as `image/eol-base` (src/hygiene/eol.ts) at the lint's clock.
 *
 * The tag is read the way the official images name their variants:
 * `<version>[-<variant>…]`, where a variant may be a Debian or Ubuntu
 * codename or `alpine<release>`; each part that names a known cycle is
 * judged, so `python:3.12-slim-buster` is flagged for buster even though
 * Python 3.12 is supported. A tag the table cannot read is not judged (no
 * guessing): `image/eol-base` still catches the built image.
 */
import { supportEnd, type EolData, type SupportEnd } from '../../eol.js';
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';
import { splitReference } from './base-image.js';

/** The last path component of an image name → how its tag's version part is read. */
const RUNTIME_IMAGES: Readonly<Record<string, string>> = {
  node: 'nodejs',
  python: 'python',
  pypy: 'python',
  golang: 'go',
  openjdk: 'java',
  'eclipse-temurin': 'java',
  amazoncorretto: 'java',
  'ibm-semeru-runtimes': 'java',
  sapmachine: 'java',
};

const OS_IMAGES: Readonly<Record<string, string>> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  alpine: 'alpine',
  centos: 'centos',
  rockylinux: 'rocky',
  almalinux: 'almalinux',
  amazonlinux: 'amzn',
  oraclelinux: 'ol',
  photon: 'photon',
  // SUSE's Base Container Images are tagged by SLE service pack (`bci-base:15.6`).
  'bci-base': 'sles',
  'bci-micro': 'sles',
  'bci-minimal': 'sles',
};

/** Distributions named by a path component rather than the last one: `opensuse/leap:15.5`, `cbl-mariner/base/core:2.0`. */
function osOfPath(parts: readonly string[], last: string): string | undefined {
  if (parts.includes('opensuse') && last === 'leap') return 'opensuse-leap';
  if (parts.includes('cbl-mariner') || parts.includes('azurelinux')) return 'azurelinux';
  return undefined;
}

export interface BaseCycle {
  readonly product: string;
  readonly version: string;
}

/** The release of a codename (`buster` → debian 10, `jammy` → ubuntu 22.04), from the EOL data. */
function codenameCycle(eol: EolData, word: string): BaseCycle | undefined {
  for (const product of ['debian', 'ubuntu']) {
    const cycle = eol.products[product]?.cycles.find((c) => c.codename !== undefined && c.codename.toLowerCase() === word);
    if (cycle) return { product, version: cycle.cycle };
  }
  return undefined;
}

/** `1.19.5` → `1.19`; `8u392` → `8`; `17.0.9_9` → `17.0.9`. */
function leadingVersion(word: string): string | undefined {
  return /^v?(\d+(?:\.\d+)*)/.exec(word)?.[1];
}

/** Every release or runtime cycle a base image reference names. */
export function baseCycles(name: string, tag: string | undefined, eol: EolData): BaseCycle[] {
  const last = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  const out: BaseCycle[] = [];
  // Red Hat UBI (`ubi8`, `ubi9/ubi-minimal`, `ubi8-minimal`) and distroless (`static-debian12`).
  for (const part of name.toLowerCase().split('/')) {
    const ubi = /^ubi(\d+)(?:-|$)/.exec(part);
    if (ubi?.[1]) out.push({ product: 'rhel', version: ubi[1] });
    const distroless = /-debian(\d+)$/.exec(part);
    if (distroless?.[1]) out.push({ product: 'debian', version: distroless[1] });
  }
  if (tag === undefined) return out;
  const words = tag.toLowerCase().split('-');
  const first = words[0] ?? '';
  const os = OS_IMAGES[last] ?? osOfPath(name.toLowerCase().split('/'), last);
  const runtime = RUNTIME_IMAGES[last];
  const stream = os === 'centos' ? /^stream(\d+)$/.exec(first) : null;
  if (stream?.[1]) out.push({ product: 'centos-stream', version: stream[1] });
  else if (os) {
    const code = codenameCycle(eol, first);
    if (code && code.product === os) out.push(code);
    else {
      const v = leadingVersion(first.replace(/^centos/, ''));
      if (v !== undefined) out.push({ product: os, version: v });
    }
  } else if (runtime) {
    const v = leadingVersion(first);
    if (v !== undefined) out.push({ product: runtime, version: v });
  }
  // Variant words: a codename or `alpine3.17` (not for the OS images themselves: `debian:bookworm-backports`).
  for (const word of os ? [] : words.slice(runtime ? 1 : 0)) {
    const code = codenameCycle(eol, word);
    if (code) out.push(code);
    const alpine = /^alpine(\d+\.\d+)/.exec(word);
    if (alpine?.[1]) out.push({ product: 'alpine', version: alpine[1] });
  }
  return out;
}

function describeEnd(end: SupportEnd, now: Date): string | undefined {
  const name = `${end.product.name} ${end.cycle.cycle}${end.cycle.codename ? ` (${end.cycle.codename})` : ''}`;
  if (end.ended === true) return `${name} is past the end of its security support`;
  if (end.date === undefined || Date.parse(`${end.date}T00:00:00Z`) > now.getTime()) return undefined;
  const extended = end.product.supportEnds === 'extendedSupport' && end.cycle.extendedSupport !== undefined ? ', extended support included' : '';
  return `${name} lost security support on ${end.date}${extended}`;
}

function check(ctx: DockerfileContext): void {
  for (const stage of ctx.doc.stages) {
    const base = stage.base;
    if (!base || stage.scratch || stage.parent) continue;
    const parts = splitReference(base.resolved);
    if (parts.name.includes('${') || parts.tag?.includes('${')) continue;
    const reasons: string[] = [];
    const seen = new Set<string>();
    for (const c of baseCycles(parts.name, parts.tag, ctx.eol)) {
      const key = `${c.product} ${c.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const end = supportEnd(ctx.eol, c.product, c.version);
      const reason = end ? describeEnd(end, ctx.now) : undefined;
      if (reason) reasons.push(reason);
    }
    if (reasons.length === 0) continue;
    ctx.report({
      ruleId: 'dockerfile/base-eol',
      start: base.start,
      end: base.end,
      message: `FROM ${base.written}: ${reasons.join('; ')}`,
      fix: 'FROM <a supported release of the image>@sha256:<digest>',
    });
  }
}

export const baseEolCheck: DockerfileCheck = { name: 'base-eol', rules: ['dockerfile/base-eol'], check };
