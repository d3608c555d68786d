/**
 * The version `portcullis --version` prints, alone in a module of its own:
 * bin/portcullis.js answers `--version` from it without loading the CLI
 * (commander, the flag tables), which is what makes that answer cost no more
 * than Node's own start-up (bench/startup.ts). The program prints the same.
 */
export const VERSION = '0.1.0';

/** True when the arguments ask for the version and nothing else. */
export function asksOnlyForVersion(args: readonly string[]): boolean {
  return args.length === 1 && (args[0] === '--version' || args[0] === '-V');
}
