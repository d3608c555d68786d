/**
 * The shapes the OpenAPI document of `/api/v1/` is written in: a small,
 * typed subset of OpenAPI 3.1 (what our resources use), so that a resource
 * file is plain data the compiler checks, and the assembler (document.ts)
 * can add what every resource shares (security, 401 and 429) instead of
 * each file repeating it. Written here rather than taken from a types
 * package: the few interfaces we need are shorter than the dependency, and
 * the test validates the assembled document against the official schema.
 */

/** A JSON Schema (2020-12, the document's `jsonSchemaDialect`), or a `$ref` to one in components. */
export type JsonSchema = { readonly [keyword: string]: JsonValue };
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface Ref {
  readonly $ref: string;
}

export interface Header {
  readonly description: string;
  readonly required?: boolean;
  readonly schema: JsonSchema;
}

export interface MediaType {
  readonly schema: JsonSchema;
}

export interface Response {
  readonly description: string;
  readonly headers?: Readonly<Record<string, Header | Ref>>;
  readonly content?: Readonly<Record<string, MediaType>>;
}

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly description: string;
  readonly required?: boolean;
  readonly schema: JsonSchema;
  readonly style?: 'form' | 'simple';
  readonly explode?: boolean;
}

export interface RequestBody {
  readonly description?: string;
  readonly required: boolean;
  readonly content: Readonly<Record<string, MediaType>>;
}

export type SecurityRequirement = Readonly<Record<string, readonly string[]>>;

/**
 * Who may call an operation, which decides what the assembler adds:
 * - `public`: no credentials are asked for (the operation lists its own refusals);
 * - `signed-in`: every authenticated caller; the handler decides the rest and the
 *   operation lists its 403s. The assembler adds the security requirement, 401 and 429;
 * - `administrator`: a registry administrator; the assembler adds 401 and 429, and
 *   403 where a signed-in caller may be no administrator (with accounts).
 * Without authentication (neither --htpasswd nor --accounts) nobody is refused.
 */
export type Access = 'public' | 'signed-in' | 'administrator';

export interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly access: Access;
  /** Replaces the security the access implies (GET /token: Basic or nothing). */
  readonly security?: readonly SecurityRequirement[];
  readonly parameters?: ReadonlyArray<Parameter | Ref>;
  readonly requestBody?: RequestBody;
  readonly responses: Readonly<Record<string, Response | Ref>>;
}

export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';
export type PathItem = Partial<Record<Method, Operation>>;

/**
 * One resource of the API: its tag, its paths (full paths, `/api/v1/…` or
 * `/token`, as clients call them), and the schemas it adds to components.
 * `availability`: `accounts` when its routes exist only with `--accounts`.
 */
export interface ApiResource {
  readonly tag: { readonly name: string; readonly description: string };
  readonly availability: 'accounts' | 'always';
  readonly schemas?: Readonly<Record<string, JsonSchema>>;
  readonly paths: Readonly<Record<string, PathItem>>;
}

/** How the server authenticates: with accounts (Bearer tokens and Basic), htpasswd (Basic), or not at all. */
export type AuthMode = 'accounts' | 'htpasswd' | 'none';
