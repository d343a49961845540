/**
 * `palisade users list|create|set-password`. Passwords (for console sign-in) are read from a
 * file or stdin (`--password-file -`), never from the command line, where `ps` would show them.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { invalid, notFound } from '@palisade/core/errors.ts';
import { need, str, type AdminCommand, type Flags } from '../admin-command.ts';
import type { ApiClient } from '../api-client.ts';
import type { CliIo } from '../io.ts';
import { field, idOf, json, table } from '../output.ts';

const PASSWORD_FILE = { flags: '--password-file <file>', description: "file holding the console password (first line), or - for stdin" } as const;

function readPassword(io: CliIo, flags: Flags, required: boolean): string | undefined {
  const file = required ? need(flags, 'passwordFile', '--password-file') : str(flags, 'passwordFile');
  if (file === undefined) return undefined;
  const text = readFileSync(file === '-' ? 0 : resolve(io.cwd, file), 'utf8');
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '') throw invalid('empty_password', `${file === '-' ? 'stdin' : file} holds no password on its first line`);
  return password;
}

/** A user id (`3`, `/users/3`) or a user name of the org. */
async function userIdOf(api: ApiClient, who: string): Promise<string> {
  if (/^(\/users\/)?[1-9][0-9]*$/.test(who)) return idOf(who);
  const { items } = await api.list(api.orgPath('/users'));
  const u = items.find((x) => field(x, 'username') === who);
  if (!u) throw notFound('user_not_found', `no user "${who}" in this org`);
  return idOf(field(u, 'href'));
}

export const USER_COMMANDS: readonly AdminCommand[] = [
  {
    noun: 'users',
    verb: 'list',
    summary: 'list the users of the org',
    run: async ({ io, json: asJson, api }) => {
      const a = await api();
      const { items } = await a.list(a.orgPath('/users'));
      if (asJson) return json(io, items);
      table(io, ['HREF', 'USERNAME', 'ROLE', 'FULL NAME'], items.map((u) => [field(u, 'href'), field(u, 'username'), field(u, 'role'), field(u, 'full_name')]));
    },
  },
  {
    noun: 'users',
    verb: 'create',
    summary: 'create a user (with a console password from --password-file)',
    args: ['<username>'],
    options: [{ flags: '--role <role>', description: 'owner, admin, ruleset_manager or read_only (default read_only)' }, { flags: '--full-name <name>', description: 'full name' }, PASSWORD_FILE],
    run: async ({ io, json: asJson, flags, args, api }) => {
      const password = readPassword(io, flags, false);
      const role = str(flags, 'role');
      const fullName = str(flags, 'fullName');
      const a = await api();
      const u = await a.post(a.orgPath('/users'), { username: args[0] ?? '', ...(role !== undefined ? { role } : {}), ...(fullName !== undefined ? { full_name: fullName } : {}), ...(password !== undefined ? { password } : {}) });
      if (asJson) return json(io, u);
      io.out(`created user ${field(u, 'username')} (${field(u, 'role')}) ${field(u, 'href')}${password === undefined ? ' without a console password' : ''}`);
    },
  },
  {
    noun: 'users',
    verb: 'set-password',
    summary: "set a user's console password (ends the user's console sessions)",
    args: ['<user>'],
    options: [PASSWORD_FILE],
    run: async ({ io, json: asJson, flags, args, api }) => {
      const password = readPassword(io, flags, true);
      const a = await api();
      const id = await userIdOf(a, args[0] ?? '');
      await a.put(`/users/${id}/password`, { password });
      if (asJson) return json(io, { href: `/users/${id}`, password_set: true });
      io.out(`set the console password of /users/${id}`);
    },
  },
];
