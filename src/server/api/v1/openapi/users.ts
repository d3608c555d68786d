/** `/api/v1/users` in the OpenAPI document: as users.ts answers. */
import { BODY_REFUSALS, PAGING, TIMESTAMP, headerRef, json, pathParameter, refusal, responseRef, schemaRef } from './components.js';
import type { ApiResource } from './types.js';

const USER_NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$' } as const;
const PASSWORD = { type: 'string', minLength: 12, maxLength: 1024, description: '12 to 1024 characters.' } as const;
const USER = pathParameter('user', 'The user\'s name.');
const NOT_ADMIN = refusal('The caller is no registry administrator.', 'DENIED');
const NOT_ADMIN_NOR_SELF = refusal('The caller is neither this user nor a registry administrator (whether the user exists or not).', 'DENIED');
const NO_SUCH_USER = refusal('No account by that name (htpasswd users are the file\'s and have none).', 'NOT_FOUND');
const LAST_ADMIN = refusal('This is the last administrator: the registry would have no one to manage it.', 'CONFLICT');

export const usersApi: ApiResource = {
  tag: { name: 'users', description: 'Accounts: people who sign in with a password. Passwords are hashed (argon2id) and never returned.' },
  availability: 'accounts',
  schemas: {
    User: {
      type: 'object',
      required: ['name', 'admin', 'createdAt', 'passwordChangedAt'],
      additionalProperties: false,
      properties: { name: { type: 'string' }, admin: { type: 'boolean', description: 'A registry administrator.' }, createdAt: TIMESTAMP, passwordChangedAt: TIMESTAMP },
    },
    UserList: { type: 'object', required: ['users'], additionalProperties: false, properties: { users: { type: 'array', items: schemaRef('User') } } },
    NewUser: {
      type: 'object',
      required: ['name', 'password'],
      properties: { name: USER_NAME, password: PASSWORD, admin: { type: 'boolean', default: false } },
    },
    NewPassword: { type: 'object', required: ['password'], properties: { password: PASSWORD } },
    AdminFlag: { type: 'object', required: ['admin'], properties: { admin: { type: 'boolean' } } },
  },
  paths: {
    '/api/v1/users': {
      get: {
        operationId: 'listUsers',
        summary: 'List accounts, by name',
        access: 'signed-in',
        parameters: PAGING,
        responses: {
          200: json('A page of accounts.', schemaRef('UserList'), { Link: headerRef('Link') }),
          400: responseRef('InvalidPage'),
          403: NOT_ADMIN,
        },
      },
      post: {
        operationId: 'createUser',
        summary: 'Create an account',
        description: 'Needs a registry administrator (checked before the body).',
        access: 'signed-in',
        requestBody: { required: true, content: { 'application/json': { schema: schemaRef('NewUser') } } },
        responses: {
          201: json('Created.', schemaRef('User'), { Location: headerRef('Location') }),
          400: refusal('Not a JSON object, a name or password that breaks the rules, or `admin` not a boolean.', 'INVALID'),
          403: NOT_ADMIN,
          409: refusal('An account by that name exists, or an htpasswd user has it.', 'CONFLICT'),
          ...BODY_REFUSALS,
        },
      },
    },
    '/api/v1/users/{user}': {
      get: {
        operationId: 'getUser',
        summary: 'Read an account',
        description: 'The user themselves, or a registry administrator.',
        access: 'signed-in',
        parameters: [USER],
        responses: { 200: json('The account.', schemaRef('User')), 403: NOT_ADMIN_NOR_SELF, 404: NO_SUCH_USER },
      },
      patch: {
        operationId: 'setUserAdmin',
        summary: 'Make an account an administrator, or not',
        access: 'signed-in',
        parameters: [USER],
        requestBody: { required: true, content: { 'application/json': { schema: schemaRef('AdminFlag') } } },
        responses: {
          200: json('The account as it is now.', schemaRef('User')),
          400: refusal('Not a JSON object, or `admin` missing or not a boolean.', 'INVALID'),
          403: NOT_ADMIN,
          404: NO_SUCH_USER,
          409: LAST_ADMIN,
          ...BODY_REFUSALS,
        },
      },
      delete: {
        operationId: 'deleteUser',
        summary: 'Delete an account',
        access: 'signed-in',
        parameters: [USER],
        responses: { 204: { description: 'Deleted.' }, 403: NOT_ADMIN, 404: NO_SUCH_USER, 409: LAST_ADMIN },
      },
    },
    '/api/v1/users/{user}/password': {
      put: {
        operationId: 'setUserPassword',
        summary: 'Change a password',
        description: 'The user themselves, or a registry administrator. Refresh tokens issued before it stop working.',
        access: 'signed-in',
        parameters: [USER],
        requestBody: { required: true, content: { 'application/json': { schema: schemaRef('NewPassword') } } },
        responses: {
          204: { description: 'Changed.' },
          400: refusal('Not a JSON object, or a password that is not a string of 12 to 1024 characters.', 'INVALID'),
          403: NOT_ADMIN_NOR_SELF,
          404: NO_SUCH_USER,
          409: refusal('The account signs in through OpenID Connect: it has no password here (its CLI secret is made on its account page).', 'CONFLICT'),
          ...BODY_REFUSALS,
        },
      },
    },
  },
};
