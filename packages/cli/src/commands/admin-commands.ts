/** Admin commands over the REST API: one table per noun, registered as `palisade <noun> <verb>`. */
import type { Command } from 'commander';
import { registerCommandTable } from '../admin-command.ts';
import type { CliIo } from '../io.ts';
import { LABEL_COMMANDS } from './label-commands.ts';

export function registerAdminCommands(program: Command, io: CliIo, run: (fn: () => Promise<unknown>) => Promise<void>): void {
  registerCommandTable(program, io, run, [...LABEL_COMMANDS]);
}
