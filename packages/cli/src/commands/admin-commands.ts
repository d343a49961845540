/** Admin commands over the REST API: one table per noun, registered as `palisade <noun> <verb>`. */
import type { Command } from 'commander';
import { registerCommandTable } from '../admin-command.ts';
import type { CliIo } from '../io.ts';
import { API_KEY_COMMANDS } from './api-key-commands.ts';
import { LABEL_COMMANDS } from './label-commands.ts';
import { POLICY_COMMANDS } from './policy-commands.ts';
import { POLICY_OBJECT_COMMANDS } from './policy-object-commands.ts';
import { RULE_SET_COMMANDS } from './rule-set-commands.ts';
import { SEC_POLICY_COMMANDS } from './sec-policy-commands.ts';
import { TRAFFIC_COMMANDS } from './traffic-commands.ts';
import { WORKLOAD_COMMANDS } from './workload-commands.ts';
import { USER_COMMANDS } from './user-commands.ts';

export function registerAdminCommands(program: Command, io: CliIo, run: (fn: () => Promise<unknown>) => Promise<void>): void {
  registerCommandTable(program, io, run, [...LABEL_COMMANDS, ...WORKLOAD_COMMANDS, ...POLICY_OBJECT_COMMANDS, ...RULE_SET_COMMANDS, ...SEC_POLICY_COMMANDS, ...POLICY_COMMANDS, ...API_KEY_COMMANDS, ...USER_COMMANDS, ...TRAFFIC_COMMANDS]);
}
