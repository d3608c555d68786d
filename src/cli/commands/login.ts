import { login as saveLogin } from '../../image/auth/index.js';
import { promptFromTerminal } from '../passphrase.js';
import { systemContext } from '../context.js';
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import type { OutputStreams } from '../output.js';
import { readStdin } from './shared.js';

export interface LoginCommandOptions {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  authfile?: string;
  tlsVerify?: boolean;
  certDir?: string;
  /** Where --password-stdin reads from (tests inject it). */
  stdin?: NodeJS.ReadableStream;
}

export async function login(registry: string, options: LoginCommandOptions, io: OutputStreams): Promise<number> {
  if (options.password !== undefined && options.passwordStdin) throw new UsageError('--password and --password-stdin cannot be used together');
  const username = options.username ?? (await promptFromTerminal('Username: ')).trim();
  let password = options.password;
  if (options.passwordStdin) {
    if (!options.username) throw new UsageError('--password-stdin needs --username');
    password = (await readStdin(options.stdin ?? process.stdin, 64 * 1024)).replace(/\r?\n$/, '');
  } else if (password === undefined) {
    password = await promptFromTerminal('Password: ');
  } else {
    io.stderr.write('portcullis: warning: --password is visible to other users of this machine; prefer --password-stdin\n');
  }
  const context = systemContext({ ...(options.tlsVerify !== undefined ? { tlsVerify: options.tlsVerify } : {}), ...(options.certDir ? { certDir: options.certDir } : {}) }, io);
  const result = await saveLogin(registry, { username, password }, { ...(options.authfile ? { authFile: options.authfile } : {}), context });
  io.stdout.write(`Login Succeeded (saved to ${result.authFile})\n`);
  return ExitCode.Ok;
}
