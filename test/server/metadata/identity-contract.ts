/**
 * The IdentityStore contract, run against every implementation (SQLite in
 * identity-sqlite.test.ts, PostgreSQL in postgres.peer.test.ts). Only the
 * IdentityStore interface is used; names order by byte value.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IdentityStore, RobotRecord, UserRecord } from '../../../src/server/metadata/identity-store.js';

const T0 = '2026-01-01T00:00:00.000Z';

function user(name: string, admin = false): UserRecord {
  return { name, passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$${name}`, admin, createdAt: T0, passwordChangedAt: T0 };
}

function robot(project: string, name: string, extra: Partial<RobotRecord> = {}): RobotRecord {
  return { name: `robot$${project}+${name}`, project, actions: ['pull', 'push'], secretHash: 'h', secretSalt: 's', createdAt: T0, ...extra };
}

async function withStore(make: () => Promise<IdentityStore>, body: (store: IdentityStore) => Promise<void>): Promise<void> {
  const store = await make();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

export function identityStoreContract(name: string, make: () => Promise<IdentityStore>): void {
  describe(`IdentityStore contract: ${name}`, () => {
    test('users: create once, read, page in byte order, change password and admin, delete', () =>
      withStore(make, async (store) => {
        assert.equal(await store.hasAdmin(), false);
        for (const n of ['bob', 'Alice', 'alice', 'carol']) assert.equal(await store.createUser(user(n, n === 'carol')), true);
        assert.equal(await store.createUser(user('bob', true)), false, 'a taken name is refused');
        assert.equal((await store.getUser('bob'))?.admin, false, 'and nothing changed');
        assert.equal(await store.hasAdmin(), true);
        assert.deepEqual((await store.listUsers()).map((u) => u.name), ['Alice', 'alice', 'bob', 'carol']);
        assert.deepEqual((await store.listUsers({ last: 'alice', limit: 1 })).map((u) => u.name), ['bob']);
        assert.deepEqual(await store.getUser('alice'), user('alice'));
        assert.equal(await store.setPassword('alice', '$argon2id$new', '2026-02-01T00:00:00.000Z'), true);
        assert.deepEqual(await store.getUser('alice'), { ...user('alice'), passwordHash: '$argon2id$new', passwordChangedAt: '2026-02-01T00:00:00.000Z' });
        assert.equal(await store.setPassword('nobody', 'x', T0), false);
        assert.equal(await store.setAdmin('alice', true), true);
        assert.equal((await store.getUser('alice'))?.admin, true);
        assert.equal(await store.deleteUser('alice'), true);
        assert.equal(await store.deleteUser('alice'), false);
        assert.equal(await store.getUser('alice'), undefined);
      }));

    test('removeUnlessLastAdmin: never the last administrator, by demotion or deletion; at once, one of the last two is kept', () =>
      withStore(make, async (store) => {
        for (const [n, admin] of [['root', true], ['ann', false], ['ben', true]] as const) assert.equal(await store.createUser(user(n, admin)), true);
        assert.equal(await store.createProject({ name: 'team', public: false, createdAt: T0 }), true);
        assert.equal(await store.setMember('team', 'ann', 'push'), true);
        assert.equal(await store.removeUnlessLastAdmin('nobody', 'demote'), 'missing');
        assert.equal(await store.removeUnlessLastAdmin('ann', 'demote'), 'done', 'not an administrator: nothing to keep');
        assert.equal(await store.removeUnlessLastAdmin('ann', 'delete'), 'done');
        assert.equal(await store.getUser('ann'), undefined);
        assert.deepEqual(await store.listMembers('team'), [], 'her memberships went with her');
        // root and ben remove each other at once: exactly one is refused.
        const both = await Promise.all([store.removeUnlessLastAdmin('root', 'demote'), store.removeUnlessLastAdmin('ben', 'delete')]);
        assert.deepEqual([...both].sort(), ['done', 'last']);
        const left = (await store.listUsers()).filter((u) => u.admin).map((u) => u.name);
        assert.equal(left.length, 1, `one administrator left: ${left.join(',')}`);
        assert.equal(await store.removeUnlessLastAdmin(left[0]!, 'demote'), 'last');
        assert.equal(await store.removeUnlessLastAdmin(left[0]!, 'delete'), 'last');
        assert.equal((await store.getUser(left[0]!))?.admin, true, 'nothing changed');
      }));

    test('projects and members: roles, public flag, readable projects, access in one lookup', () =>
      withStore(make, async (store) => {
        await store.createUser(user('alice'));
        assert.equal(await store.createProject({ name: 'team', public: false, createdAt: T0 }), true);
        assert.equal(await store.createProject({ name: 'team', public: true, createdAt: T0 }), false);
        assert.equal(await store.createProject({ name: 'pub', public: true, createdAt: T0 }), true);
        assert.equal(await store.createProject({ name: 'other', public: false, createdAt: T0 }), true);
        assert.deepEqual((await store.listProjects()).map((p) => p.name), ['other', 'pub', 'team']);
        assert.deepEqual(await store.getProject('team'), { name: 'team', public: false, createdAt: T0 });
        assert.deepEqual(await store.projectAccess('team', 'alice'), { exists: true, public: false });
        assert.deepEqual(await store.projectAccess('nope', 'alice'), { exists: false, public: false });
        assert.equal(await store.setMember('team', 'alice', 'push'), true);
        assert.equal(await store.setMember('nope', 'alice', 'push'), false, 'no project, no member');
        assert.deepEqual(await store.projectAccess('team', 'alice'), { exists: true, public: false, role: 'push' });
        assert.deepEqual(await store.projectAccess('team'), { exists: true, public: false }, 'anonymous has no role');
        assert.equal(await store.setMember('team', 'alice', 'admin'), true, 'a second call changes the role');
        assert.equal(await store.setMember('team', 'htpasswd-bob', 'pull'), true, 'members need no account row (htpasswd users)');
        assert.deepEqual(await store.listMembers('team'), [
          { project: 'team', user: 'alice', role: 'admin' },
          { project: 'team', user: 'htpasswd-bob', role: 'pull' },
        ]);
        assert.deepEqual(await store.listMembers('team', { last: 'alice' }), [{ project: 'team', user: 'htpasswd-bob', role: 'pull' }]);
        assert.deepEqual(await store.projectsReadableBy('alice'), ['pub', 'team']);
        assert.deepEqual(await store.projectsReadableBy(), ['pub']);
        assert.equal(await store.setProjectPublic('other', true), true);
        assert.deepEqual(await store.projectsReadableBy(), ['other', 'pub']);
        await store.setMember('other', 'alice', 'admin');
        await store.setMember('pub', 'alice', 'delete');
        assert.deepEqual(await store.projectsAdministeredBy('alice'), ['other', 'team'], 'admin roles only, sorted');
        assert.deepEqual(await store.projectsAdministeredBy('htpasswd-bob'), []);
        await store.removeMember('other', 'alice');
        assert.equal(await store.removeMember('team', 'alice'), true);
        assert.equal(await store.removeMember('team', 'alice'), false);
        assert.deepEqual(await store.projectAccess('team', 'alice'), { exists: true, public: false });
        await store.setMember('team', 'alice', 'pull');
        await store.deleteUser('alice');
        assert.deepEqual(await store.listMembers('team'), [{ project: 'team', user: 'htpasswd-bob', role: 'pull' }], 'deleting a user drops their memberships');
      }));

    test('robots: scoped to an existing project, revoked once, gone with their project', () =>
      withStore(make, async (store) => {
        await store.createProject({ name: 'team', public: false, createdAt: T0 });
        await store.createProject({ name: 'b', public: false, createdAt: T0 });
        const ci = robot('team', 'ci', { description: 'CI', expiresAt: '2027-01-01T00:00:00.000Z', actions: ['pull'] });
        assert.equal(await store.createRobot(ci), true);
        assert.equal(await store.createRobot(ci), false, 'one name once');
        assert.equal(await store.createRobot(robot('nope', 'x')), false, 'no project, no robot');
        await store.createRobot(robot('b', 'deploy'));
        assert.deepEqual(await store.getRobot(ci.name), ci);
        assert.deepEqual((await store.listRobots(undefined)).map((r) => r.name), ['robot$b+deploy', 'robot$team+ci']);
        assert.deepEqual((await store.listRobots('team')).map((r) => r.name), ['robot$team+ci']);
        assert.equal(await store.revokeRobot(ci.name, '2026-03-01T00:00:00.000Z'), true);
        assert.equal(await store.revokeRobot(ci.name, '2026-04-01T00:00:00.000Z'), true);
        assert.equal((await store.getRobot(ci.name))?.revokedAt, '2026-03-01T00:00:00.000Z', 'the first revocation is kept');
        assert.equal(await store.revokeRobot('robot$team+none', T0), false);
        await store.setMember('team', 'alice', 'push');
        assert.equal(await store.deleteProject('team'), true);
        assert.equal(await store.deleteProject('team'), false);
        assert.equal(await store.getRobot(ci.name), undefined, 'robots go with their project');
        assert.deepEqual(await store.listMembers('team'), [], 'so do members');
        assert.equal(await store.createProject({ name: 'team', public: true, createdAt: T0 }), true);
        assert.deepEqual(await store.projectAccess('team', 'alice'), { exists: true, public: true }, 'a project made again starts empty');
      }));
    test('project settings: none at first, stored as given, replaced whole, removed with null, gone with the project', () =>
      withStore(make, async (store) => {
        assert.equal(await store.setProjectSettings('team', { quota: '1KiB' }), false, 'no such project');
        assert.equal(await store.getProjectSettings('team'), undefined);
        await store.createProject({ name: 'team', public: false, createdAt: T0 });
        await store.createProject({ name: 'other', public: false, createdAt: T0 });
        assert.equal(await store.getProjectSettings('team'), undefined, 'a new project has none');
        const settings = { quota: '10GiB', untaggedRetention: '3d', retention: [{ tags: ['v*', 'release-?'], keepLast: 10 }, { tags: '*', keepYoungerThan: '30d' }] };
        assert.equal(await store.setProjectSettings('team', settings), true);
        assert.deepEqual(await store.getProjectSettings('team'), settings);
        assert.equal(await store.getProjectSettings('other'), undefined, 'one project only');
        assert.deepEqual(await store.getProject('team'), { name: 'team', public: false, createdAt: T0 }, 'the project record is unchanged');
        assert.equal(await store.setProjectSettings('team', { quota: '1KiB' }), true);
        assert.deepEqual(await store.getProjectSettings('team'), { quota: '1KiB' }, 'replaced whole');
        assert.equal(await store.setProjectSettings('team', null), true);
        assert.equal(await store.getProjectSettings('team'), undefined, 'null removes them');
        await store.setProjectSettings('team', { quota: '1KiB' });
        assert.equal(await store.deleteProject('team'), true);
        await store.createProject({ name: 'team', public: false, createdAt: T0 });
        assert.equal(await store.getProjectSettings('team'), undefined, 'a project made again starts without settings');
      }));

    test('OIDC accounts: bound to (issuer, subject) once, a taken name or binding creates nothing, CLI secret, gone with the user', () =>
      withStore(make, async (store) => {
        const iss = 'https://id.example';
        const oidcUser = (name: string): UserRecord => ({ ...user(name), passwordHash: '!oidc' });
        assert.equal(await store.createUser(user('admin', true)), true);
        assert.equal(await store.createOidcUser(oidcUser('admin'), iss, 'sub-admin'), false, 'a local name is never taken over');
        assert.equal(await store.getOidcLink(iss, 'sub-admin'), undefined, 'and no binding was left');
        assert.equal((await store.getUser('admin'))?.passwordHash, user('admin', true).passwordHash);
        assert.equal(await store.createOidcUser(oidcUser('alice'), iss, 'sub-1'), true);
        assert.deepEqual(await store.getOidcLink(iss, 'sub-1'), { user: 'alice', issuer: iss, subject: 'sub-1' });
        assert.deepEqual(await store.getOidcLinkOf('alice'), { user: 'alice', issuer: iss, subject: 'sub-1' });
        assert.equal(await store.getOidcLink('https://other.example', 'sub-1'), undefined, 'the issuer is part of the binding');
        assert.equal(await store.createOidcUser(oidcUser('alice2'), iss, 'sub-1'), false, 'one account per subject');
        assert.equal(await store.getUser('alice2'), undefined, 'the account is not made without its binding');
        assert.equal(await store.getOidcLinkOf('admin'), undefined);
        assert.equal(await store.setCliSecret('admin', 'h', 's', '2026-03-01T00:00:00.000Z'), false, 'only OIDC accounts have a CLI secret');
        assert.equal((await store.getUser('admin'))?.passwordChangedAt, T0);
        assert.equal(await store.setCliSecret('alice', 'hash1', 'salt1', '2026-03-01T00:00:00.000Z'), true);
        assert.deepEqual(await store.getOidcLinkOf('alice'), { user: 'alice', issuer: iss, subject: 'sub-1', cliSecretHash: 'hash1', cliSecretSalt: 'salt1' });
        assert.equal((await store.getUser('alice'))?.passwordChangedAt, '2026-03-01T00:00:00.000Z', 'a new secret ends older refresh tokens and sessions');
        assert.equal(await store.deleteUser('alice'), true);
        assert.equal(await store.getOidcLink(iss, 'sub-1'), undefined, 'the binding goes with the account');
        assert.equal(await store.createOidcUser(oidcUser('alice-new'), iss, 'sub-1'), true, 'and the subject may sign up again');
      }));
  });
}
