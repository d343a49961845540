/**
 * Users: who may use this org and with which role. Admins and owners see every user, create
 * users (with a role no higher than their own, and optionally a console password); everyone
 * else sees their own account. Each user's page holds their API keys and console password.
 */
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { ErrorList, fieldErrors } from '../components/error-list.tsx';
import { SelectField, TextField } from '../components/field.tsx';
import { FormActions, useSubmit } from '../components/form-submit.tsx';
import { Modal } from '../components/modal.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Loading } from '../components/progress.tsx';
import { notify } from '../components/toast.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type { PageProps, Role } from '../page.ts';
import { link } from '../router.ts';
import { ROLE_NAMES, roleAtLeast, useSession, type Session } from '../session.tsx';

export interface User {
  readonly href: string;
  readonly username: string;
  readonly full_name: string;
  readonly role: Role;
  readonly created_at?: string;
}

export const ROLES: readonly Role[] = ['read_only', 'ruleset_manager', 'admin', 'owner'];

/** The users this session may see: all of the org's for an admin, else only itself. */
export async function visibleUsers(s: Session): Promise<User[]> {
  if (s.can('admin')) return (await api.list<User>(`${s.orgHref}/users`, { max_results: 10000 })).items;
  return [{ href: s.userHref, username: s.username, full_name: s.fullName, role: s.role }];
}

export function userPath(u: { href: string }): string {
  return `/users/${u.href.split('/').pop() ?? ''}`;
}

export function UsersPage(_props: PageProps) {
  const session = useSession();
  const users = useFetch(() => visibleUsers(session), [session.orgHref, session.userHref]);
  const [creating, setCreating] = useState(false);
  const columns: Column<User>[] = [
    { key: 'username', header: 'User name', render: (u) => <a href={link(userPath(u))}>{u.username}</a>, sortValue: (u) => u.username },
    { key: 'full_name', header: 'Full name', render: (u) => u.full_name || '—', sortValue: (u) => u.full_name },
    { key: 'role', header: 'Role', render: (u) => ROLE_NAMES[u.role], sortValue: (u) => ROLES.indexOf(u.role) },
    { key: 'you', header: '', render: (u) => (u.href === session.userHref ? <span class="muted">you</span> : '') },
    { key: 'keys', header: 'API keys', render: (u) => <a href={link(userPath(u))}>manage</a> },
  ];
  return (
    <>
      <PageHeader
        title="Users"
        subtitle={session.can('admin') ? 'People who sign in to the console, and the API keys scripts and SDKs use on their behalf.' : 'Your account: your API keys and your console password. An admin manages the other users.'}
      >
        {session.can('admin') && (
          <button type="button" class="button button-primary" data-testid="create-user" onClick={() => setCreating(true)}>
            Create user
          </button>
        )}
      </PageHeader>
      <ErrorList error={users.error} />
      {users.loading && !users.data ? (
        <Loading what="users" />
      ) : (
        <DataTable testid="users-table" caption="Users" columns={columns} rows={users.data ?? []} rowKey={(u) => u.href} initialSort={{ key: 'username', dir: 'asc' }} />
      )}
      {creating && (
        <UserForm
          onClose={() => setCreating(false)}
          onSaved={() => {
            setCreating(false);
            users.reload();
          }}
        />
      )}
    </>
  );
}

function UserForm(props: { onClose: () => void; onSaved: () => void }) {
  const session = useSession();
  const [username, setUsername] = useState('');
  const [fullName, setFullName] = useState('');
  const [role, setRole] = useState<Role>('read_only');
  const [password, setPassword] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    await api.post(`${session.orgHref}/users`, { username, full_name: fullName, role, ...(password ? { password } : {}) });
    notify.success(`Created ${username.trim()} (${ROLE_NAMES[role]})`);
    props.onSaved();
  });
  const grantable = ROLES.filter((r) => roleAtLeast(session.role, r));
  return (
    <Modal title="Create user" onClose={props.onClose} testid="user-form">
      <form onSubmit={submit} noValidate>
        <ErrorList error={error} exclude={['username', 'full_name', 'role', 'password']} />
        <TextField label="User name" name="username" value={username} onInput={setUsername} required autoFocus errors={fieldErrors(error, 'username')} testid="user-username" placeholder="e.g. alice" />
        <TextField label="Full name" name="full_name" value={fullName} onInput={setFullName} errors={fieldErrors(error, 'full_name')} testid="user-full-name" />
        <SelectField label="Role" name="role" value={role} options={grantable.map((r) => ({ value: r, label: ROLE_NAMES[r] }))} onChange={(v) => setRole(grantable.find((r) => r === v) ?? 'read_only')} errors={fieldErrors(error, 'role')} testid="new-user-role" />
        <TextField
          label="Console password (optional)"
          hint="At least 12 characters. Without one, the user can sign in once an admin sets it; API keys work either way."
          name="password"
          type="password"
          autocomplete="new-password"
          value={password}
          onInput={setPassword}
          errors={fieldErrors(error, 'password')}
          testid="user-password"
        />
        <FormActions onCancel={props.onClose} busy={busy} label="Create" testid="user-save" />
      </form>
    </Modal>
  );
}
