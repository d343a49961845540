/**
 * `palisade <noun> <verb>`: commands are data, one module per noun (STYLE: wrangler). Errors
 * are mapped to messages and exit codes in exit-codes.ts only.
 */
import { Command, CommanderError } from 'commander';
import { describeError, exitCodeOf } from './exit-codes.ts';
import { processIo, type CliIo } from './io.ts';
import { registerPceCommands } from './commands/pce-commands.ts';
import { registerAdminCommands } from './commands/admin-commands.ts';
import { registerVenCommands } from './commands/ven-commands.ts';

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  const run = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      for (const line of describeError(err)) io.err(line);
      code = exitCodeOf(err);
    }
  };
  const program = new Command('palisade')
    .description('Palisade: label-based microsegmentation with SecureConnect')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  registerPceCommands(program, io, run);
  registerAdminCommands(program, io, run);
  registerVenCommands(program, io, run);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return code;
}
