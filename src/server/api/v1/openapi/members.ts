/** `/api/v1/projects/{project}/members` in the OpenAPI document: as members.ts answers. */
import { BODY_REFUSALS, PAGING, headerRef, json, pathParameter, refusal, responseRef, schemaRef } from './components.js';
import { NOT_PROJECT_ADMIN, NO_SUCH_PROJECT, PROJECT } from './projects.js';
import type { ApiResource } from './types.js';

const ROLE = { enum: ['pull', 'push', 'delete', 'admin'], description: 'Each role includes the ones before it.' } as const;
const USER = pathParameter('user', 'The member\'s user name.');

export const membersApi: ApiResource = {
  tag: { name: 'members', description: 'Who has which role in a project. All operations need the project\'s admin role (or a registry administrator).' },
  availability: 'accounts',
  schemas: {
    Member: { type: 'object', required: ['user', 'role'], additionalProperties: false, properties: { user: { type: 'string' }, role: ROLE } },
    MemberList: { type: 'object', required: ['members'], additionalProperties: false, properties: { members: { type: 'array', items: schemaRef('Member') } } },
    MemberRole: { type: 'object', required: ['role'], properties: { role: ROLE } },
  },
  paths: {
    '/api/v1/projects/{project}/members': {
      get: {
        operationId: 'listMembers',
        summary: 'List a project\'s members, by user name',
        access: 'signed-in',
        parameters: [PROJECT, ...PAGING],
        responses: {
          200: json('A page of members.', schemaRef('MemberList'), { Link: headerRef('Link') }),
          400: responseRef('InvalidPage'),
          403: NOT_PROJECT_ADMIN,
          404: NO_SUCH_PROJECT,
        },
      },
    },
    '/api/v1/projects/{project}/members/{user}': {
      put: {
        operationId: 'setMember',
        summary: 'Give a user a role in a project (adds or changes)',
        description: 'The user must exist: an account, or an htpasswd user.',
        access: 'signed-in',
        parameters: [PROJECT, USER],
        requestBody: { required: true, content: { 'application/json': { schema: schemaRef('MemberRole') } } },
        responses: {
          200: json('The membership as it is now (200 whether it was added or changed).', schemaRef('Member')),
          400: refusal('Not a JSON object, or `role` not one of pull, push, delete, admin.', 'INVALID'),
          403: NOT_PROJECT_ADMIN,
          404: refusal('No such project (or one the caller may not see), or no such user.', 'NOT_FOUND'),
          ...BODY_REFUSALS,
        },
      },
      delete: {
        operationId: 'removeMember',
        summary: 'Remove a user from a project',
        access: 'signed-in',
        parameters: [PROJECT, USER],
        responses: {
          204: { description: 'Removed.' },
          403: NOT_PROJECT_ADMIN,
          404: refusal('No such project (or one the caller may not see), or the user is not a member.', 'NOT_FOUND'),
        },
      },
    },
  },
};
