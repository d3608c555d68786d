/**
 * Go binaries: the build information the Go linker embeds in every program
 * built with modules (`go version -m` prints it). We find the
 * `\xff Go buildinf:` header in the `.go.buildinfo` ELF section (or, failing
 * that, by scanning the file for the magic), then read:
 *
 * - Go ≥ 1.18 (flags bit 0x2): the version and modinfo strings inline after
 *   the 32-byte header, each prefixed by an unsigned varint length;
 * - older Go: two pointers (4 or 8 bytes, the header's byte order) to Go
 *   string headers `{data pointer, length}`, followed into the file through
 *   the ELF program headers.
 *
 * modinfo lines (`path`, `mod`, `dep`, `=>`, `build`, tab-separated) become
 * the main module, the dependencies (the replacement when a `=>` names a
 * module version) and the toolchain as `stdlib` (`pkg:golang/stdlib@1.19.8`).
 *
 * Size cap: 256 MiB per binary. Large Go programs (kubelet, cloud SDK CLIs)
 * are 100–200 MB unstripped; beyond that a file is almost never a Go program
 * and holding it in memory costs more than the scan is worth.
 */
import type { FileView, FileWant, Package } from '../../core/index.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../cataloger.js';
import { buildPurl, catalogEach, type ParseResult } from './common.js';
import { type ElfFile, isElf, mayBeExecutable, parseElf, readAtAddress, sectionData } from './elf.js';
import { LangCatalogError } from './errors.js';

const FOUND_BY = 'go-binary';
export const GO_BINARY_MAX_BYTES = 256 << 20;

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
/** No real version or modinfo string is anywhere near this; a longer one is damage. */
const MAX_STRING = 16 << 20;

export interface GoBuildInfo {
  /** As recorded: `go1.22.1`, `go1.22.1 X:loopvar`, `devel go1.23-abc…`. */
  goVersion: string;
  /** The modinfo text without its sentinels ('' when the binary was built without modules). */
  modinfo: string;
}

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  replace?: GoModule;
}

export interface GoModInfo {
  /** `path` line: the main package's import path. */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  /** `build` key=value settings, in order. */
  settings: Array<[string, string]>;
}

function bad(message: string): never {
  throw new LangCatalogError('GO_BUILDINFO_INVALID', message);
}

/** Reads an unsigned LEB128 varint (at most 9 bytes, safe-integer range). */
function readUvarint(data: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 9; i++) {
    const b = data[offset + i];
    if (b === undefined) bad('varint runs past the end of the build info');
    value += (b & 0x7f) * scale;
    if (!Number.isSafeInteger(value)) bad('varint too large');
    if ((b & 0x80) === 0) return { value, next: offset + i + 1 };
    scale *= 128;
  }
  return bad('varint too long');
}

/** Strips the 16-byte sentinels the linker puts around modinfo (as `debug/buildinfo` does). */
function stripModinfo(raw: string): string {
  if (raw.length >= 33 && raw[raw.length - 17] === '\n') return raw.slice(16, -16);
  return '';
}

/** Where the build-info header starts: first 16-byte aligned match of the magic with a full header. */
export function findBuildInfoMagic(data: Uint8Array): number {
  let from = 0;
  for (;;) {
    const i = Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(MAGIC, from);
    if (i < 0) return -1;
    if (i % 16 === 0 && data.length - i >= HEADER_SIZE) return i;
    from = i + 1;
  }
}

/**
 * Decodes a build-info blob that starts with the magic (the `.go.buildinfo`
 * section, or the file from the magic on). `readAt(addr, size)` serves the
 * pre-1.18 pointer format; without it that format is an error.
 */
export function decodeBuildInfo(data: Uint8Array, readAt?: (addr: number, size: number) => Uint8Array | undefined): GoBuildInfo {
  if (data.length < HEADER_SIZE || !Buffer.from(data.buffer, data.byteOffset, MAGIC.length).equals(MAGIC)) {
    bad('no build-info header');
  }
  const ptrSize = data[14] as number;
  const flags = data[15] as number;
  if ((flags & 0x2) !== 0) {
    const v = readUvarint(data, HEADER_SIZE);
    if (v.value > MAX_STRING || v.next + v.value > data.length) bad('version string runs past the end of the build info');
    const goVersion = Buffer.from(data.buffer, data.byteOffset + v.next, v.value).toString('utf8');
    const m = readUvarint(data, v.next + v.value);
    if (m.value > MAX_STRING || m.next + m.value > data.length) bad('modinfo runs past the end of the build info');
    const modinfo = Buffer.from(data.buffer, data.byteOffset + m.next, m.value).toString('utf8');
    return { goVersion, modinfo: stripModinfo(modinfo) };
  }
  if (ptrSize !== 4 && ptrSize !== 8) bad(`bad pointer size ${ptrSize}`);
  if (!readAt) bad('pointer-format build info needs the whole binary');
  const littleEndian = (flags & 0x1) === 0;
  const word = (bytes: Uint8Array, off: number): number => {
    if (off + ptrSize > bytes.length) bad('pointer runs past the end of the data');
    const dv = new DataView(bytes.buffer, bytes.byteOffset + off, ptrSize);
    if (ptrSize === 4) return dv.getUint32(0, littleEndian);
    const big = dv.getBigUint64(0, littleEndian);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) bad('pointer too large');
    return Number(big);
  };
  const readGoString = (addr: number): string => {
    if (addr === 0) return '';
    const header = readAt(addr, ptrSize * 2);
    if (!header || header.length < ptrSize * 2) bad(`string header at 0x${addr.toString(16)} is not in the file`);
    const dataAddr = word(header, 0);
    const len = word(header, ptrSize);
    if (len === 0) return '';
    if (len > MAX_STRING) bad(`string of ${len} bytes is too long`);
    const bytes = readAt(dataAddr, len);
    if (!bytes || bytes.length < len) bad(`string data at 0x${dataAddr.toString(16)} is not in the file`);
    return Buffer.from(bytes.buffer, bytes.byteOffset, len).toString('utf8');
  };
  const goVersion = readGoString(word(data, 16));
  const modinfo = readGoString(word(data, 16 + ptrSize));
  return { goVersion, modinfo: stripModinfo(modinfo) };
}

/** Finds and decodes the build info of a binary: ELF section first, else a scan for the magic. */
export function readBuildInfo(bytes: Uint8Array): GoBuildInfo | undefined {
  let elf: ElfFile | undefined;
  if (isElf(bytes)) {
    elf = parseElf(bytes);
    const section = sectionData(elf, '.go.buildinfo');
    if (section && section.length >= HEADER_SIZE) {
      const at = findBuildInfoMagic(section);
      if (at >= 0) {
        const e = elf;
        return decodeBuildInfo(section.subarray(at), (addr, size) => readAtAddress(e, addr, size));
      }
    }
  }
  const at = findBuildInfoMagic(bytes);
  if (at < 0) return undefined;
  const e = elf;
  return decodeBuildInfo(bytes.subarray(at), e ? (addr, size) => readAtAddress(e, addr, size) : undefined);
}

function moduleFrom(fields: string[]): GoModule | undefined {
  const path = fields[1];
  if (!path) return undefined;
  const m: GoModule = { path, version: fields[2] ?? '' };
  if (fields[3]) m.sum = fields[3];
  return m;
}

/** Parses modinfo text (the `go version -m` lines). Unknown lines are ignored, as Go does for forward compatibility. */
export function parseModInfo(text: string): GoModInfo {
  const info: GoModInfo = { deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const fields = line.split('\t');
    switch (fields[0]) {
      case 'path':
        info.path = fields[1] ?? '';
        break;
      case 'mod':
        last = moduleFrom(fields);
        if (last) info.main = last;
        break;
      case 'dep':
        last = moduleFrom(fields);
        if (last) info.deps.push(last);
        break;
      case '=>': {
        const r = moduleFrom(fields);
        if (r && last && !last.replace) last.replace = r;
        break;
      }
      case 'build': {
        const kv = fields.slice(1).join('\t');
        const eq = kv.indexOf('=');
        if (eq > 0) info.settings.push([kv.slice(0, eq), kv.slice(eq + 1).replace(/^"(.*)"$/, '$1')]);
        break;
      }
      default:
        break;
    }
  }
  return info;
}

/** `go1.22.1 X:loopvar` → `1.22.1`; undefined for development toolchains (`devel …`). */
export function stdlibVersion(goVersion: string): string | undefined {
  const m = /^go(\d+(?:\.\d+)*(?:(?:rc|beta)\d+)?)(?:\s|$)/.exec(goVersion.trim());
  return m?.[1];
}

export function goPurl(modulePath: string, version: string): string | undefined {
  const slash = modulePath.lastIndexOf('/');
  return slash < 0
    ? buildPurl('golang', undefined, modulePath, version)
    : buildPurl('golang', modulePath.slice(0, slash), modulePath.slice(slash + 1), version);
}

/** A `-X importpath.version=v1.2.3` in `-ldflags` gives a `(devel)` main module its release version. */
function versionFromLdflags(settings: Array<[string, string]>): string | undefined {
  const ldflags = settings.find(([k]) => k === '-ldflags')?.[1];
  if (!ldflags) return undefined;
  const re = /-X[= ]+['"]?([^'"\s=]+)=([^'"\s]+)/g;
  for (let m = re.exec(ldflags); m; m = re.exec(ldflags)) {
    const key = m[1] ?? '';
    const value = m[2] ?? '';
    if (/(?:^|[./])(?:main\.)?(?:version|Version|VERSION)$/.test(key) && /^v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*)?$/.test(value)) {
      return value.startsWith('v') ? value : `v${value}`;
    }
  }
  return undefined;
}

/** The packages of one Go binary from its build info. */
export function goPackages(info: GoBuildInfo, path: string): ParseResult {
  const packages: Package[] = [];
  const warnings: string[] = [];
  const mod = parseModInfo(info.modinfo);
  const base = { ecosystem: 'go' as const, foundBy: FOUND_BY, path };
  const add = (name: string, version: string, metadata: Record<string, string>): void => {
    const purl = goPurl(name, version);
    if (!purl) {
      warnings.push(`${path}: cannot build a purl for ${name}@${version}; skipped`);
      return;
    }
    packages.push({ ...base, name, version, purl, metadata });
  };
  if (mod.main) {
    const metadata: Record<string, string> = { kind: 'main', goVersion: info.goVersion };
    let version = mod.main.version;
    if (version === '(devel)' || version === '') {
      const fromFlags = versionFromLdflags(mod.settings);
      if (fromFlags) {
        metadata.recordedVersion = version;
        metadata.versionSource = 'ldflags';
        version = fromFlags;
      }
    }
    const vcs = mod.settings.find(([k]) => k === 'vcs.revision')?.[1];
    if (vcs) metadata.vcsRevision = vcs;
    if (mod.main.replace) metadata.replacedBy = formatModule(mod.main.replace);
    add(mod.main.path, version, metadata);
  }
  for (const dep of mod.deps) {
    const metadata: Record<string, string> = { kind: 'dep' };
    if (dep.replace && dep.replace.version !== '') {
      // The code linked in is the replacement module: report it, and say what it replaces.
      metadata.replaces = formatModule(dep);
      add(dep.replace.path, dep.replace.version, metadata);
    } else {
      if (dep.replace) metadata.replacedBy = dep.replace.path;
      add(dep.path, dep.version, metadata);
    }
  }
  const std = stdlibVersion(info.goVersion);
  if (std) add('stdlib', std, { kind: 'stdlib', goVersion: info.goVersion });
  else if (info.goVersion) warnings.push(`${path}: Go toolchain version ${JSON.stringify(info.goVersion)} is not a release; no stdlib package`);
  return { packages, warnings };
}

function formatModule(m: GoModule): string {
  return m.version ? `${m.path}@${m.version}` : m.path;
}

/** One file: undefined build info (not a Go binary) is no packages and no warning. */
export function parseGoBinary(bytes: Uint8Array, path: string): ParseResult {
  let info: GoBuildInfo | undefined;
  try {
    info = readBuildInfo(bytes);
  } catch (error) {
    return { packages: [], warnings: [`${path}: damaged Go build info: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (!info) return { packages: [], warnings: [] };
  return goPackages(info, path);
}

/**
 * The selector. `info` (mode and size) is an extension of the FileSelector
 * contract: when the walker passes it, executables are chosen by their mode
 * bits; otherwise by the path heuristic of `mayBeExecutable`.
 */
function wants(path: string, info?: { mode: number; size: number }): boolean | FileWant {
  return mayBeExecutable(path, info) ? { maxBytes: GO_BINARY_MAX_BYTES, accept: hasGoBuildInfo } : false;
}

/** Keeps a candidate only when it is an ELF carrying Go build info, so other executables are never held in memory. */
function hasGoBuildInfo(content: Buffer): boolean {
  return isElf(content) && content.indexOf(MAGIC) >= 0;
}

export const goBinaryCataloger: Cataloger = {
  name: FOUND_BY,
  version: 2,
  wants,
  async catalog(view: FileView, _context: CatalogContext): Promise<CatalogResult> {
    return catalogEach(
      view,
      (f) =>
        (f.kind === 'file' || f.kind === 'hardlink') &&
        ((f.truncated === true && mayBeExecutable(f.path)) || (f.content !== undefined && isElf(f.content))),
      (bytes, f) => parseGoBinary(bytes, f.path),
    );
  },
};

