/** `/api/v1/projects/{project}/robots` in the OpenAPI document: as robots.ts answers. */
import { BODY_REFUSALS, PAGING, TIMESTAMP, headerRef, json, pathParameter, refusal, responseRef, schemaRef } from './components.js';
import { NOT_PROJECT_ADMIN, NO_SUCH_PROJECT, PROJECT } from './projects.js';
import type { ApiResource } from './types.js';

const ACTION = { enum: ['pull', 'push', 'delete'] } as const;
const ROBOT_PROPERTIES = {
  name: { type: 'string', description: '`robot$PROJECT+NAME`: the user name it signs in with.' },
  project: { type: 'string' },
  actions: { type: 'array', items: ACTION, description: 'Sorted, without repeats.' },
  createdAt: TIMESTAMP,
  expiresAt: { type: ['string', 'null'], format: 'date-time', description: 'null: it never expires.' },
  revokedAt: { type: ['string', 'null'], format: 'date-time', description: 'null: not revoked.' },
  description: { type: 'string', description: 'Left out when none was given.' },
} as const;
const ROBOT_REQUIRED = ['name', 'project', 'actions', 'createdAt', 'expiresAt', 'revokedAt'] as const;

export const robotsApi: ApiResource = {
  tag: {
    name: 'robots',
    description: 'Machine accounts of one project. All operations need the project\'s admin role (or a registry administrator).',
  },
  availability: 'accounts',
  schemas: {
    Robot: { type: 'object', required: ROBOT_REQUIRED, additionalProperties: false, properties: ROBOT_PROPERTIES },
    NewRobotSecret: {
      type: 'object',
      required: [...ROBOT_REQUIRED, 'secret'],
      additionalProperties: false,
      properties: { ...ROBOT_PROPERTIES, secret: { type: 'string', description: 'The secret (256 random bits, base64url): shown this once, stored only as a keyed hash.' } },
    },
    RobotList: { type: 'object', required: ['robots'], additionalProperties: false, properties: { robots: { type: 'array', items: schemaRef('Robot') } } },
    NewRobot: {
      type: 'object',
      required: ['name', 'actions'],
      properties: {
        name: { type: 'string', maxLength: 64, pattern: '^[a-z0-9]+(?:[._-][a-z0-9]+)*$', description: 'The short name: the robot is `robot$PROJECT+NAME`.' },
        actions: { type: 'array', minItems: 1, items: ACTION, description: 'Repeats are dropped.' },
        expiresInDays: { type: 'integer', minimum: 0, maximum: 3650, default: 0, description: '0 or left out: never expires.' },
        description: { type: 'string', maxLength: 1024 },
      },
    },
  },
  paths: {
    '/api/v1/projects/{project}/robots': {
      get: {
        operationId: 'listRobots',
        summary: 'List a project\'s robots, revoked ones included, by name',
        access: 'signed-in',
        parameters: [PROJECT, ...PAGING],
        responses: {
          200: json('A page of robots.', schemaRef('RobotList'), { Link: headerRef('Link') }),
          400: responseRef('InvalidPage'),
          403: NOT_PROJECT_ADMIN,
          404: NO_SUCH_PROJECT,
        },
      },
      post: {
        operationId: 'createRobot',
        summary: 'Create a robot; the answer holds its secret, once',
        access: 'signed-in',
        parameters: [PROJECT],
        requestBody: { required: true, content: { 'application/json': { schema: schemaRef('NewRobot') } } },
        responses: {
          201: json('Created (no Location header).', schemaRef('NewRobotSecret')),
          400: refusal('Not a JSON object, or a field that breaks the rules.', 'INVALID'),
          403: NOT_PROJECT_ADMIN,
          404: NO_SUCH_PROJECT,
          409: refusal('A robot by that name exists in the project (revoked ones too).', 'CONFLICT'),
          ...BODY_REFUSALS,
        },
      },
    },
    '/api/v1/projects/{project}/robots/{robot}': {
      delete: {
        operationId: 'revokeRobot',
        summary: 'Revoke a robot',
        description: 'Refused from its next request on, tokens included; it stays listed, with `revokedAt`. Revoking again answers 204 and keeps the first time.',
        access: 'signed-in',
        parameters: [PROJECT, pathParameter('robot', 'The short name, or the full `robot$PROJECT+NAME`.')],
        responses: {
          204: { description: 'Revoked.' },
          403: NOT_PROJECT_ADMIN,
          404: refusal('No such project (or one the caller may not see), or no such robot in it.', 'NOT_FOUND'),
        },
      },
    },
  },
};
