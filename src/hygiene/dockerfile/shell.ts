/**
 * Just enough POSIX shell to lint `RUN`, `CMD` and `ENTRYPOINT`, in shell/:
 * source.ts (text with Dockerfile offsets), json-strings.ts (exec form),
 * tokenizer.ts (simple commands and pipelines), commands.ts (the program a
 * command runs). This file is the one import for the checks.
 */
export { basename, isShell, resolveCommand, shellCScript, type ResolvedCommand } from './shell/commands.js';
export { parseJsonStrings } from './shell/json-strings.js';
export { logicalSource, rawSource, sourceOf, wordSource, type SourceText, type Word } from './shell/source.js';
export { parseShell, type Operator, type Script, type SimpleCommand } from './shell/tokenizer.js';
