/**
 * Test data only: encrypted cosign private keys published by the Sigstore
 * project, reproduced under the Apache License 2.0 (Copyright The Sigstore
 * Authors). No code is copied; these are key files.
 */

/**
 * From sigstore/policy-controller, examples/keys/cosign.key (label
 * ENCRYPTED COSIGN PRIVATE KEY, scrypt N=32768). Its password is empty:
 * examples/README.md of the same repository signs with it using
 * `export COSIGN_PASSWORD=""`.
 */
export const POLICY_CONTROLLER_COSIGN_KEY = `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjozMjc2OCwiciI6
OCwicCI6MX0sInNhbHQiOiJnQlZkM21FMnA3OHhsbUFPSlZkRmcwcXdpcnAwTEMy
a2ROdkFiTW9lWVpRPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJGNDdDZEN3K3U1TXRMMVd2K21wT0tWbnpkTmliaWh2USJ9LCJj
aXBoZXJ0ZXh0IjoiMUI4Q0o2ZC9JY1hIeTBqaEZrbkk4RXdCUXRuOFkyN2kzY0wz
RURLVUFheUVDR3BiTWRsUXFFOGlGMVJaRW1BWTIwa0plV1VhdkVUMURocFZzZWVJ
ZjYraW1SK3c2V0lXWFB0MWJJNCthQ3RCVU1jZ21QN05IQXdRY0dZbGlXZmVRWG12
Zlh2bVJ1bFlwNnZBaUh4c3EvMFUxNU9qNjRCcWE4OE5TK010WWVIQjVrd1ZVcmJB
VGYwaEpnaXNleFJZbHZra0lMeldYMXBxcFE9PSJ9
-----END ENCRYPTED COSIGN PRIVATE KEY-----
`;
export const POLICY_CONTROLLER_COSIGN_PASSWORD = '';

/** From sigstore/policy-controller, examples/keys/cosign.pub: the public half of the key above. */
export const POLICY_CONTROLLER_COSIGN_PUB = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOc6HkISHzVdUbtUsdjYtPuyPYBeg
4FCemyVurIM4KEORQk4OAu8ZNwxvGSoY3eAabYaFIPPQ8ROAjrbdPwNdJw==
-----END PUBLIC KEY-----
`;

/**
 * From sigstore/cosign, pkg/cosign/keys_test.go, constant `pemsigstorekey`
 * (label ENCRYPTED SIGSTORE PRIVATE KEY, scrypt N=32768, an ECDSA P-256 key);
 * that test opens it with the password "hello".
 */
export const COSIGN_TEST_SIGSTORE_KEY = `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjozMjc2OCwiciI6
OCwicCI6MX0sInNhbHQiOiI3T3VGd2VsbWZZNXVId2NoaURSc210anNwZ2ZlZjFG
Mk5lOGFDTjVLYVpZPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJQNHk4OGhCb3ZTa09MbXN0bFVBaGJwdDJ0K2xTNUxQSCJ9LCJj
aXBoZXJ0ZXh0IjoiMnB1QzdyZldJOWh3bnJlQ2s4aUZDRlVwQlRrSzRJNlIvbFBF
cnBDekpXUGpJWXl4eGVIL1A2VW52cFJHdVhla1NNb3JMdGhLamdoQ1JlNy82NDVH
QWtoVm1LRC92eEF0S2EvbE1abENSQ3FlekJGUFd1dzNpeFRtZ2xhb2J1ZFVSbUVs
bmNGOGlZbzBTMVl6Y1ZOMVFwY2J2c0dNcUlYRzVlbmdteGp5dCtBcXlyZTF0Q0Y0
V01tU1BlaEljNlBqd2h1Q2xHaVpJUWRvTGc9PSJ9
-----END ENCRYPTED SIGSTORE PRIVATE KEY-----
`;
export const COSIGN_TEST_SIGSTORE_PASSWORD = 'hello';

/** Rewrite the JSON body of a cosign (or our) PEM key with `edit`, keeping the label. */
export function editPemJson(pem: string, edit: (body: Record<string, any>) => void): string {
  const m = /-----BEGIN ([A-Z ]+)-----\n([\s\S]*?)-----END/.exec(pem);
  if (!m) throw new Error('not PEM');
  const body = JSON.parse(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64').toString('utf8')) as Record<string, any>;
  edit(body);
  const b64 = Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${m[1]}-----\n${lines.join('\n')}\n-----END ${m[1]}-----\n`;
}

/** Flip one bit of a base64 field (decoded) in place on the JSON body. */
export function flipBase64(value: string, index = 0): string {
  const bytes = Buffer.from(value, 'base64');
  const i = index % bytes.length;
  bytes[i] = bytes[i]! ^ 0x01;
  return bytes.toString('base64');
}

/** Every message and cause message in an error chain, for "the passphrase appears nowhere" checks. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    if (e instanceof Error) {
      parts.push(e.message, String(e.stack ?? ''));
      e = (e as { cause?: unknown }).cause;
    } else {
      parts.push(JSON.stringify(e) ?? String(e));
      break;
    }
  }
  return parts.join('\n');
}

/** Assert-helper: run fn, return the thrown error (fail when nothing is thrown). */
export async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, none was thrown');
}
