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
} as const;

export const projectSettingsApi: ApiResource = {
  tag: {
    name: 'project settings',
    description: 'A project\'s storage quota, retention and vulnerability threshold, set by its admins; laid over the operator\'s `--project-settings` defaults and read by the next push and the next garbage collection.',
  },
  availability: 'accounts',
  schemas: {
    ProjectSettings: { type: 'object', required: ['quota', 'untaggedRetention', 'retention', 'denySeverity'], additionalProperties: false, properties: SETTINGS_PROPERTIES },
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
