/**
 * Where credentials live, resolved from an environment (SystemContext.env,
 * default process.env) so tests can point everything at a temp dir. The order
 * is containers/image's (pkg/docker/config): a user-specified file
 * (SystemContext.authFile, else REGISTRY_AUTH_FILE) is the only file read;
 * otherwise $XDG_RUNTIME_DIR/containers/auth.json, then
 * ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json, then Docker's
 * ${DOCKER_CONFIG:-~/.docker}/config.json.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface AuthPathOptions {
  authFile?: string;
  env?: NodeJS.ProcessEnv;
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME && env.HOME !== '' ? env.HOME : homedir();
}

/** True when the user named the file (authFile or REGISTRY_AUTH_FILE): then no other file is consulted. */
export function userSpecifiedAuthFile(options: AuthPathOptions): string | undefined {
  const env = options.env ?? process.env;
  if (options.authFile) return options.authFile;
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  return undefined;
}

export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(home(env), '.docker', 'config.json');
}

/** Files to read, first match wins. */
export function authFilesToRead(options: AuthPathOptions): string[] {
  const env = options.env ?? process.env;
  const user = userSpecifiedAuthFile(options);
  if (user) return [user];
  const paths: string[] = [];
  if (env.XDG_RUNTIME_DIR) paths.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  const configHome = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(home(env), '.config');
  paths.push(join(configHome, 'containers', 'auth.json'));
  paths.push(dockerConfigPath(env));
  return paths;
}

/** The file login and logout write: the user's file, else containers' auth.json. */
export function authFileToWrite(options: AuthPathOptions): string {
  const env = options.env ?? process.env;
  const user = userSpecifiedAuthFile(options);
  if (user) return user;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  const configHome = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(home(env), '.config');
  return join(configHome, 'containers', 'auth.json');
}
