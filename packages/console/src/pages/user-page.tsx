/**
 * One user: their API keys (create — the secret is shown once, with a copy button — and
 * delete) and their console password (your own needs your current one; an admin or owner
 * sets that of a user whose role is not above theirs, which signs that user out).
 */
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { CopyButton } from '../components/copy-button.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
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
import { ROLE_NAMES, roleAtLeast, useSession } from '../session.tsx';
import { ROLES, visibleUsers, type User } from './users-page.tsx';

interface ApiKey {
  readonly href: string;
  readonly key_id: string;
  readonly name: string;
  readonly description?: string;
  readonly role: Role;
  readonly created_at: string;
}

interface NewKey {
  readonly key_id: string;
  readonly secret: string;
  readonly name: string;
}

export function UserPage(props: PageProps) {
  const session = useSession();
  const href = `/users/${props.params['id'] ?? ''}`;
  const users = useFetch(() => visibleUsers(session), [session.orgHref, session.userHref]);
  const user = users.data?.find((u) => u.href === href);
  if (users.loading && !users.data) return <Loading what="user" />;
  if (!user)
    return (
      <>
        <PageHeader title="User" />
        <ErrorList error={users.error} />
        <EmptyState title={`No user ${href} you can see`}>
          <a href={link('/users')}>Back to users</a>
        </EmptyState>
      </>
    );
  const self = user.href === session.userHref;
  const canManage = self || (session.can('admin') && roleAtLeast(session.role, user.role));
  return (
    <>
      <PageHeader title={user.username} subtitle={`${user.full_name ? `${user.full_name} · ` : ''}${ROLE_NAMES[user.role]}${self ? ' · you' : ''}`} />
      <ApiKeys user={user} canManage={canManage} />
      {canManage && <PasswordForm user={user} self={self} />}
    </>
  );
}

function ApiKeys(props: { user: User; canManage: boolean }) {
  const keys = useFetch(() => api.list<ApiKey>(`${props.user.href}/api_keys`, { max_results: 10000 }), [props.user.href]);
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<NewKey>();
  const [error, setError] = useState<unknown>();
  const remove = async (k: ApiKey): Promise<void> => {
    setError(undefined);
    try {
      await api.del(k.href);
      notify.success(`Deleted the API key ${k.name}; clients using it are refused from now on`);
      keys.reload();
    } catch (e) {
      setError(e);
    }
  };
  const columns: Column<ApiKey>[] = [
    { key: 'name', header: 'Name', render: (k) => k.name, sortValue: (k) => k.name },
    { key: 'key_id', header: 'Key id (user name for Basic auth)', render: (k) => <code>{k.key_id}</code> },
    { key: 'role', header: 'Role', render: (k) => ROLE_NAMES[k.role], sortValue: (k) => ROLES.indexOf(k.role) },
    { key: 'created', header: 'Created', render: (k) => new Date(k.created_at).toLocaleString(), sortValue: (k) => k.created_at },
  ];
  if (props.canManage)
    columns.push({
      key: 'actions',
      header: 'Actions',
      class: 'col-actions',
      render: (k) => (
        <ConfirmButton testid="delete-api-key" confirmLabel={`Delete ${k.name}`} onConfirm={() => remove(k)}>
          Delete
        </ConfirmButton>
      ),
    });
  return (
    <section class="panel">
      <div class="panel-header">
        <h2>API keys</h2>
        {props.canManage && (
          <button type="button" class="button button-primary" data-testid="create-api-key" onClick={() => setCreating(true)}>
            Create API key
          </button>
        )}
      </div>
      <ErrorList error={error ?? keys.error} />
      {shown && (
        <div class="hint-draft" role="status" data-testid="new-api-key">
          <p>
            <strong>Copy the secret of {shown.name} now: it is shown only once.</strong> Clients send the key id as the user name and the secret as the password (HTTP Basic).
          </p>
          <div class="command">
            <pre data-testid="new-api-key-id">{shown.key_id}</pre>
            <CopyButton text={shown.key_id} testid="new-api-key-id-copy" />
          </div>
          <div class="command">
            <pre data-testid="new-api-key-secret">{shown.secret}</pre>
            <CopyButton text={shown.secret} testid="new-api-key-secret-copy" />
          </div>
          <button type="button" class="button" onClick={() => setShown(undefined)}>
            I have stored it
          </button>
        </div>
      )}
      {keys.loading && !keys.data ? (
        <Loading what="API keys" />
      ) : (
        <DataTable
          testid="api-keys-table"
          caption="API keys"
          columns={columns}
          rows={keys.data?.items ?? []}
          rowKey={(k) => k.href}
          initialSort={{ key: 'created', dir: 'desc' }}
          empty={<EmptyState title="No API keys">{props.canManage ? 'Create one for a script, an SDK or the palisade CLI.' : 'Only this user or an admin creates keys here.'}</EmptyState>}
        />
      )}
      {creating && (
        <ApiKeyForm
          user={props.user}
          onClose={() => setCreating(false)}
          onCreated={(k) => {
            setCreating(false);
            setShown(k);
            keys.reload();
          }}
        />
      )}
    </section>
  );
}

function ApiKeyForm(props: { user: User; onClose: () => void; onCreated: (k: NewKey) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [role, setRole] = useState<Role>(props.user.role);
  const roles = ROLES.filter((r) => roleAtLeast(props.user.role, r));
  const { busy, error, submit } = useSubmit(async () => {
    const k = await api.post<{ key_id: string; secret: string }>(`${props.user.href}/api_keys`, { name, description, role });
    props.onCreated({ key_id: k.key_id, secret: k.secret, name: name.trim() });
  });
  return (
    <Modal title={`Create an API key for ${props.user.username}`} onClose={props.onClose} testid="api-key-form">
      <form onSubmit={submit} noValidate>
        <ErrorList error={error} exclude={['name', 'description', 'role']} />
        <TextField label="Name" name="name" value={name} onInput={setName} required autoFocus errors={fieldErrors(error, 'name')} testid="api-key-name" placeholder="e.g. ci-pipeline" />
        <TextField label="Description" name="description" value={description} onInput={setDescription} errors={fieldErrors(error, 'description')} testid="api-key-description" />
        <SelectField
          label="Role"
          name="role"
          hint="A key can have the user's role or a narrower one."
          value={role}
          options={roles.map((r) => ({ value: r, label: ROLE_NAMES[r] }))}
          onChange={(v) => setRole(roles.find((r) => r === v) ?? props.user.role)}
          errors={fieldErrors(error, 'role')}
          testid="api-key-role"
        />
        <FormActions onCancel={props.onClose} busy={busy} label="Create" testid="api-key-save" />
      </form>
    </Modal>
  );
}

function PasswordForm(props: { user: User; self: boolean }) {
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    await api.put(`${props.user.href}/password`, { password, ...(props.self ? { current_password: current } : {}) });
    setCurrent('');
    setPassword('');
    notify.success(props.self ? 'Password changed; sign in again with the new one' : `Password of ${props.user.username} set; their console sessions were ended`);
  });
  return (
    <section class="panel">
      <h2>Console password</h2>
      <form onSubmit={submit} noValidate data-testid="password-form">
        <ErrorList error={error} exclude={['password', 'current_password']} />
        {props.self && (
          <TextField label="Current password" name="current_password" type="password" autocomplete="current-password" value={current} onInput={setCurrent} errors={fieldErrors(error, 'current_password')} testid="password-current" />
        )}
        <TextField label="New password" name="password" type="password" autocomplete="new-password" hint="At least 12 characters." value={password} onInput={setPassword} errors={fieldErrors(error, 'password')} testid="password-new" />
        <div class="form-actions">
          <button type="submit" class="button button-primary" disabled={busy} data-testid="password-save">
            {props.self ? 'Change my password' : `Set the password of ${props.user.username}`}
          </button>
        </div>
      </form>
    </section>
  );
}
