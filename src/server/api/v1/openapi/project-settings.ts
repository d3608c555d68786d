/** `/api/v1/projects/{project}/settings` in the OpenAPI document: as project-settings.ts answers. */
import { BODY_REFUSALS, json, refusal, schemaRef } from './components.js';
import { NO_SUCH_PROJECT, NOT_PROJECT_ADMIN, PROJECT } from './projects.js';
import type { ApiResource, JsonSchema } from './types.js';

const PATTERN = { type: 'string', pattern: '^[A-Za-z0-9_.*?-]{1,256}$', description: 'A tag pattern: letters, digits, `.` `_` `-`, with `*` and `?`.' } as const;
const DURATION = { oneOf: [{ type: 'string', pattern: '^\\s*\\d{1,9}\\s*[smhdw]?\\s*$' }, { const: 0 }], description: 'A duration: 90s, 30m, 12h, 7d, 2w (or 0).' } as const;
const SIZE = { type: 'string', pattern: '^\\s*\\d{1,15}(?:\\.\\d{1,6})?\\s*(?:[kKmMgGtT][iI]?[bB]|[bB])?\\s*$', description: 'A size: 500MB, 10GiB, or bytes.' } as const;

const RULE: JsonSchema = {
  type: 'object',
  required: ['tags'],
  additionalProperties: false,
  properties: {
    tags: { oneOf: [PATTERN, { type: 'array', minItems: 1, maxItems: 100, items: PATTERN }] },
    keepLast: { type: 'integer', minimum: 0, description: 'Keep the newest N matching tags of each repository.' },
    keepYoungerThan: DURATION,
  },
  anyOf: [{ properties: { keepLast: true }, required: ['keepLast'] }, { properties: { keepYoungerThan: true }, required: ['keepYoungerThan'] }],
  description: 'Keeps a matching tag when it is among the `keepLast` newest or younger than `keepYoungerThan` (at least one of them is required).',
};

const SETTINGS_PROPERTIES = {
  quota: { oneOf: [SIZE, { type: 'integer', minimum: 0 }, { type: 'null' }], description: 'Bytes of distinct blobs the project may hold; null: the operator\'s default (none unless the file sets one).' },
  untaggedRetention: { oneOf: [DURATION, { type: 'null' }], description: 'How long an untagged manifest is kept; null: the operator\'s default.' },
  retention: { oneOf: [{ type: 'array', maxItems: 100, items: RULE }, { type: 'null' }], description: 'Tags kept by garbage collection (every other tag is removed); null: the operator\'s default; `[]`: every tag kept.' },
  denySeverity: {
    oneOf: [{ type: 'string', enum: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NEGLIGIBLE', 'UNKNOWN'] }, { type: 'null' }],
    description:
      'Refuse pulls of this project\'s images with a finding at or above this level, and of its images without a complete scan. Only tightens the registry\'s `--deny-severity`: the stricter of the two applies (a weaker level has no effect). null: the operator\'s default (none unless the file sets one).',
  },
  trustPolicy: {
    oneOf: [schemaRef('ProjectTrustPolicy'), { type: 'null' }],
    description:
      'Trust requirements added to the registry\'s trust policy for this project\'s images (docs/serve.md "Per-project trust policy"): the registry\'s policy must allow an image, then this one too. Needs the registry to run with `--require-signature`; without it the project\'s images are refused. null: none.',
  },
} as const;

const DAYS = { type: 'string', pattern: '^\\d{1,6}[smhdw]$', description: 'A duration: 12h, 7d, 2w.' } as const;

const KEY = { type: 'string', pattern: '^\\s*(root-certified|[0-9a-f]{6,64})\\s*$' } as const;

const NOTARY_SOURCE = { type: 'string', enum: ['cosign', 'bundle', 'notary'] } as const;

const NOTARY_KEY_ID = { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } as const;

const TRUST_POLICY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    keys: {
      oneOf: [KEY, { type: 'array', minItems: 1, items: KEY }],
      description: 'Keys that must have signed: key ids (6 to 64 hex digits, from the registry\'s trust store) or `root-certified`. Default `root-certified`.',
    },
    threshold: { type: 'integer', minimum: 0, maximum: 64, description: 'Distinct keys that must have signed (default 1; 0: no signature required, attestations still are).' },
    signedIdentity: { type: 'string', enum: ['matchRepository', 'exact', 'any'], description: 'What the signature must name (default any).' },
    identity: { type: 'string', description: 'With `signedIdentity: exact`: the docker-reference signatures must name.' },
    attestations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type'],
        additionalProperties: false,
        properties: {
          type: { type: 'string', description: 'sbom, vuln, custom, or a predicate type URI.' },
          maxAge: DAYS,
          condition: { type: 'string', description: '`no finding` or `no <CRITICAL|HIGH|MEDIUM|LOW> finding` (that level or above).' },
        },
      },
      description: 'Attestations that must exist, signed by the keys above.',
    },
    sources: {
      oneOf: [NOTARY_SOURCE, { type: 'array', minItems: 1, items: NOTARY_SOURCE }],
      description: 'Trust sources that may meet the signature requirement: cosign, bundle, notary. Default cosign and bundle: Notary counts for a project only when named here.',
    },
    notary: {
      type: 'object',
      additionalProperties: false,
      properties: {
        authoritative: { type: 'boolean', description: 'What Notary does not sign is refused, whatever cosign says.' },
        roles: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^targets(/[A-Za-z0-9_.-]+){0,8}$' }, description: 'Roles whose signature counts (default every role).' },
        rootKeys: { type: 'array', minItems: 1, maxItems: 64, items: NOTARY_KEY_ID, description: 'The GUN\'s root must be signed by one of these (docker trust inspect\'s Root Key, or notary\'s canonical id).' },
        signers: { type: 'array', minItems: 1, maxItems: 64, items: NOTARY_KEY_ID, description: 'The role signing the target must be signed by one of these keys.' },
      },
      description: 'How Notary counts (docs/signing.md "Pinning Notary keys"); needs notary in sources.',
    },
    cveAllowlist: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['id', 'expires', 'reason'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', description: 'An advisory id (CVE-…, GHSA-…): matches a finding by id or alias.' },
          expires: { type: 'string', description: 'A date (through that day, UTC) or date-time; an expired entry is ignored, and refusals say so.' },
          reason: { type: 'string', maxLength: 1000 },
        },
      },
      description: 'Findings that do not count against this project\'s own rules (its attestation conditions and its `denySeverity`) until they expire; never against the registry\'s.',
    },
  },
};

export const projectSettingsApi: ApiResource = {
  tag: {
    name: 'project settings',
    description: 'A project\'s storage quota, retention, vulnerability threshold and trust policy, set by its admins; laid over the operator\'s `--project-settings` defaults and read by the next push and the next garbage collection.',
  },
  availability: 'accounts',
  schemas: {
    ProjectSettings: { type: 'object', required: ['quota', 'untaggedRetention', 'retention', 'denySeverity', 'trustPolicy'], additionalProperties: false, properties: SETTINGS_PROPERTIES },
    ProjectTrustPolicy: TRUST_POLICY,
    NewProjectSettings: { type: 'object', additionalProperties: false, properties: SETTINGS_PROPERTIES },
  },
  paths: {
    '/api/v1/projects/{project}/settings': {
      get: {
        operationId: 'getProjectSettings',
        summary: 'Read a project\'s own lifecycle settings',
        description: 'Needs a role in the project (or a registry administrator). Every key is null when the project has no settings of its own: the operator\'s file applies.',
        access: 'signed-in',
        parameters: [PROJECT],
        responses: {
          200: json('The stored settings.', schemaRef('ProjectSettings')),
          403: refusal('The caller may see the project (it is public) but has no role in it.', 'DENIED'),
          404: NO_SUCH_PROJECT,
        },
      },
      put: {
        operationId: 'setProjectSettings',
        summary: 'Replace a project\'s lifecycle settings',
        description: 'Needs the project\'s admin role (checked before the body). The whole object: a key missing or null falls back to the operator\'s default; all null removes the project\'s own settings. Validated as the `--project-settings` file is.',
        access: 'signed-in',
        parameters: [PROJECT],
        requestBody: { required: true, content: { 'application/json': { schema: schemaRef('NewProjectSettings') } } },
        responses: {
          200: json('The settings as stored now.', schemaRef('ProjectSettings')),
          400: refusal('Not a JSON object, an unknown key, or a value the file would refuse (the message names the key).', 'INVALID'),
          403: NOT_PROJECT_ADMIN,
          404: NO_SUCH_PROJECT,
          ...BODY_REFUSALS,
        },
      },
    },
  },
};
