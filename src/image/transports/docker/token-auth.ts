/**
 * The registry client's answer to a 401 (challenge parsing, Basic, Docker's
 * token flow), for another client that authenticates the same way against
 * the same credentials: the Notary client (engine/notary/auth.ts), so there
 * is one token flow, not two. Loaded through the transport's index on use
 * (`loadTokenAuth`), keeping undici out of the index's first load.
 */
export { Authenticator, basicAuthorization, repositoryScope } from './auth.js';
export { parseChallenges, pickChallenge } from './challenge.js';
export { HttpClient } from './http.js';
