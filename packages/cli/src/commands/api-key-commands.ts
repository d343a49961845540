/** `palisade api-keys list|create|delete` (of the calling key's user unless --user). */
import { notFound } from '@palisade/core/errors.ts';
import { str, type AdminCommand, type Flags } from '../admin-command.ts';
import type { ApiClient } from '../api-client.ts';
import { field, idOf, json, table } from '../output.ts';

const USER = { flags: '--user <id>', description: 'user id (default: the user of the key in use)' } as const;

/** The calling key's user: the one whose keys include our key id. */
async function userOf(api: ApiClient, flags: Flags): Promise<string> {
  const given = str(flags, 'user');
  if (given !== undefined) return idOf(given);
  const { items: users } = await api.list(api.orgPath('/users'));
  for (const u of users) {
    const id = idOf(field(u, 'href'));
    const { items: keys } = await api.list(`/users/${id}/api_keys`);
    if (keys.some((k) => field(k, 'key_id') === api.keyId)) return id;
  }
  throw notFound('user_not_found', 'cannot tell which user the API key in use belongs to; pass --user ID');
}

export const API_KEY_COMMANDS: readonly AdminCommand[] = [
  {
    noun: 'api-keys',
    verb: 'list',
    summary: 'list API keys',
    options: [USER],
    run: async ({ io, json: asJson, flags, api }) => {
      const a = await api();
      const { items } = await a.list(`/users/${await userOf(a, flags)}/api_keys`);
      if (asJson) return json(io, items);
      table(io, ['KEY ID', 'NAME', 'ROLE', 'CREATED'], items.map((k) => [field(k, 'key_id'), field(k, 'name'), field(k, 'role'), field(k, 'created_at')]));
    },
  },
  {
    noun: 'api-keys',
    verb: 'create',
    summary: 'create an API key (the secret is printed once)',
    args: ['<name>'],
    options: [USER, { flags: '--role <role>', description: "owner, admin, ruleset_manager or read_only (default: the user's role)" }, { flags: '--description <text>', description: 'description' }],
    run: async ({ io, json: asJson, flags, args, api }) => {
      const a = await api();
      const role = str(flags, 'role');
      const description = str(flags, 'description');
      const k = await a.post(`/users/${await userOf(a, flags)}/api_keys`, { name: args[0] ?? '', ...(role !== undefined ? { role } : {}), ...(description !== undefined ? { description } : {}) });
      if (asJson) return json(io, k);
      io.out(`created API key ${field(k, 'key_id')} (${field(k, 'role') || 'role of the user'})`);
      io.out(`  key id: ${field(k, 'key_id')}`);
      io.out(`  secret: ${field(k, 'secret')}   (shown once: store it now)`);
    },
  },
  {
    noun: 'api-keys',
    verb: 'delete',
    summary: 'delete an API key',
    args: ['<key-id>'],
    options: [USER],
    run: async ({ io, json: asJson, flags, args, api }) => {
      const a = await api();
      const href = `/users/${await userOf(a, flags)}/api_keys/${idOf(args[0] ?? '')}`;
      await a.delete(href);
      if (asJson) return json(io, { href, deleted: true });
      io.out(`deleted API key ${href}`);
    },
  },
];
