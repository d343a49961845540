/** Admin commands over the REST API (labels, workloads, …). Filled in by the admin CLI work. */
import type { Command } from 'commander';
import type { CliIo } from '../io.ts';

export function registerAdminCommands(_program: Command, _io: CliIo, _run: (fn: () => Promise<unknown>) => Promise<void>): void {}
