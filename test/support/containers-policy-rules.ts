/**
 * A checker written from containers-policy.json(5) and
 * containers-registries.d(5) (the man pages of Debian's containers-common),
 * for documents `portcullis policy export` writes. It checks the document,
 * not a skopeo run: Debian's containers/image build leaves sigstore out, so a
 * Debian skopeo cannot enforce sigstoreSigned. Returns every problem found.
 *
 * policy.json: a mandatory non-empty `default`; optional `transports`
 * (name → scope → non-empty requirement list); "unrecognized, duplicated or
 * otherwise invalid fields cause the entire file … to be rejected". docker
 * scopes: "" (the transport default), a fully expanded `host[:port][/path]`
 * (optionally `:tag`/`@digest`), or `*.domain` ("*.example.com is a valid
 * case, but example*.*.com is not"). Requirements: insecureAcceptAnything and
 * reject take only `type`; sigstoreSigned takes exactly one of keyPath and
 * keyData, and `signedIdentity`; cosign signatures "only contain a
 * repository, so only matchRepository and exactRepository can be used to
 * accept them". Identity types and their fields as listed there.
 *
 * registries.d: a mapping with `default-docker` and/or `docker` (scope →
 * section); a section's keys lookaside, lookaside-staging,
 * use-sigstore-attachments (a boolean).
 */
import { isAbsolute } from 'node:path';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const HOST = '(?:\\*\\.[a-z0-9.-]+|[a-z0-9.-]+(?::\\d+)?)';
const DOCKER_SCOPE = new RegExp(`^(?:|${HOST}(?:/[a-z0-9._/-]+?)?(?::[\\w][\\w.-]{0,127}|@sha256:[0-9a-f]{64})?)$`);

function only(o: Obj, keys: readonly string[], where: string, problems: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) problems.push(`${where}: unrecognized field ${k}`);
}

function identity(v: unknown, where: string, problems: string[], sigstore: boolean): void {
  if (!isObj(v)) return void problems.push(`${where}: signedIdentity must be an object`);
  const fields: Record<string, string[]> = {
    matchExact: [],
    matchRepoDigestOrExact: [],
    matchRepository: [],
    exactReference: ['dockerReference'],
    exactRepository: ['dockerRepository'],
    remapIdentity: ['prefix', 'signedPrefix'],
  };
  const type = String(v.type);
  const want = fields[type];
  if (!want) return void problems.push(`${where}: unknown signedIdentity type ${type}`);
  only(v, ['type', ...want], where, problems);
  for (const f of want) if (typeof v[f] !== 'string' || v[f] === '') problems.push(`${where}: ${type} needs ${f}`);
  if (sigstore && !['matchRepository', 'exactRepository'].includes(type)) problems.push(`${where}: ${type} cannot accept a cosign signature (it names only a repository)`);
}

function requirement(r: unknown, where: string, problems: string[]): void {
  if (!isObj(r)) return void problems.push(`${where}: a requirement must be an object`);
  switch (r.type) {
    case 'insecureAcceptAnything':
    case 'reject':
      return only(r, ['type'], where, problems);
    case 'sigstoreSigned': {
      only(r, ['type', 'keyPath', 'keyData', 'signedIdentity'], where, problems);
      const sources = ['keyPath', 'keyData'].filter((k) => r[k] !== undefined);
      if (sources.length !== 1) problems.push(`${where}: exactly one of keyPath and keyData must be present`);
      if (r.keyPath !== undefined && !(typeof r.keyPath === 'string' && isAbsolute(r.keyPath))) problems.push(`${where}: keyPath must be an absolute path`);
      if (r.keyData !== undefined && !(typeof r.keyData === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(r.keyData))) problems.push(`${where}: keyData must be base64`);
      // Missing, it is matchRepoDigestOrExact, which no cosign signature satisfies.
      identity(r.signedIdentity ?? { type: 'matchRepoDigestOrExact' }, where, problems, true);
      return;
    }
    default:
      problems.push(`${where}: unknown requirement type ${String(r.type)}`);
  }
}

function requirements(list: unknown, where: string, problems: string[]): void {
  if (!Array.isArray(list) || list.length === 0) return void problems.push(`${where}: must be a non-empty array of requirements`);
  list.forEach((r, i) => requirement(r, `${where}[${i}]`, problems));
}

export function containersPolicyProblems(text: string): string[] {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`];
  }
  if (!isObj(doc)) return ['the policy must be a JSON object'];
  only(doc, ['default', 'transports'], 'policy', problems);
  if (doc.default === undefined) problems.push('policy: "default" is mandatory');
  else requirements(doc.default, 'default', problems);
  if (doc.transports !== undefined) {
    if (!isObj(doc.transports)) return [...problems, 'transports must be an object'];
    for (const [name, scopes] of Object.entries(doc.transports)) {
      if (!['docker', 'atomic', 'dir', 'oci', 'tarball', 'docker-daemon', 'docker-archive', 'oci-archive', 'containers-storage'].includes(name)) problems.push(`transports: unknown transport ${name}`);
      if (!isObj(scopes)) {
        problems.push(`transports.${name}: must be an object`);
        continue;
      }
      for (const [scope, list] of Object.entries(scopes)) {
        if (name === 'docker' && !DOCKER_SCOPE.test(scope)) problems.push(`transports.docker: invalid scope ${JSON.stringify(scope)}`);
        requirements(list, `transports.${name}[${JSON.stringify(scope)}]`, problems);
      }
    }
  }
  return problems;
}

export function registriesDProblems(doc: unknown): string[] {
  const problems: string[] = [];
  if (!isObj(doc)) return ['registries.d: must be a mapping'];
  only(doc, ['default-docker', 'docker'], 'registries.d', problems);
  const section = (v: unknown, where: string): void => {
    if (!isObj(v)) return void problems.push(`${where}: must be a mapping`);
    only(v, ['lookaside', 'lookaside-staging', 'use-sigstore-attachments', 'sigstore', 'sigstore-staging'], where, problems);
    if (v['use-sigstore-attachments'] !== undefined && typeof v['use-sigstore-attachments'] !== 'boolean') problems.push(`${where}: use-sigstore-attachments must be a boolean`);
  };
  if (doc['default-docker'] !== undefined) section(doc['default-docker'], 'default-docker');
  if (doc.docker !== undefined) {
    if (!isObj(doc.docker)) return [...problems, 'docker: must be a mapping'];
    for (const [scope, v] of Object.entries(doc.docker)) {
      if (!/^[a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._/-]+)?$/.test(scope)) problems.push(`docker: invalid scope ${JSON.stringify(scope)} (no wildcards)`);
      section(v, `docker[${JSON.stringify(scope)}]`);
    }
  }
  return problems;
}
