import { logout as removeLogin, logoutAll } from '../../image/auth/index.js';
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import type { OutputStreams } from '../output.js';

export interface LogoutCommandOptions {
  all?: boolean;
  authfile?: string;
}

export async function logout(registry: string | undefined, options: LogoutCommandOptions, io: OutputStreams): Promise<number> {
  const common = { env: io.env, ...(options.authfile ? { authFile: options.authfile } : {}) };
  if (options.all) {
    if (registry) throw new UsageError('give a registry or --all, not both');
    const result = await logoutAll(common);
    io.stdout.write(`Removed login credentials for ${result.removed.length} registr${result.removed.length === 1 ? 'y' : 'ies'} from ${result.authFile}\n`);
    return ExitCode.Ok;
  }
  if (!registry) throw new UsageError('logout needs a registry, or --all');
  const result = await removeLogin(registry, common);
  io.stdout.write(`Removed login credentials for ${registry} from ${result.authFile}\n`);
  return ExitCode.Ok;
}
