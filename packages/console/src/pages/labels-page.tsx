/**
 * Labels: every key=value of the org, filtered by key; create, rename the value, delete (the
 * API answers 409 while a workload, rule set or group uses the label: shown above the table).
 */
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorList, fieldErrors } from '../components/error-list.tsx';
import { SelectField, TextField } from '../components/field.tsx';
import { LabelChips } from '../components/label-chips.tsx';
import { Modal } from '../components/modal.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Loading } from '../components/progress.tsx';
import { notify } from '../components/toast.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type { PageProps } from '../page.ts';
import { link, navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import type { Label, LabelDimension } from '../inventory/types.ts';

type Editing = { kind: 'create' } | { kind: 'edit'; label: Label } | undefined;

export function LabelsPage(props: PageProps) {
  const { orgHref, can } = useSession();
  const key = props.query.get('key') ?? '';
  const dims = useFetch(() => api.list<LabelDimension>(`${orgHref}/label_dimensions`), [orgHref]);
  const labels = useFetch(() => api.list<Label>(`${orgHref}/labels`, { key: key || undefined, max_results: 10000 }), [orgHref, key]);
  const [editing, setEditing] = useState<Editing>();
  const [pageError, setPageError] = useState<unknown>();
  const editable = can('admin');
  const keys = (dims.data?.items ?? []).map((d) => d.key);

  const remove = async (l: Label): Promise<void> => {
    setPageError(undefined);
    try {
      await api.del(l.href);
      notify.success(`Deleted ${l.key}=${l.value}`);
      labels.reload();
    } catch (e) {
      setPageError(e);
      notify.error(`Could not delete ${l.key}=${l.value}`, e);
    }
  };

  const columns: Column<Label>[] = [
    { key: 'label', header: 'Label', render: (l) => <LabelChips labels={[l]} />, sortValue: (l) => `${l.key}=${l.value}` },
    { key: 'key', header: 'Key', render: (l) => l.key, sortValue: (l) => l.key },
    { key: 'value', header: 'Value', render: (l) => l.value, sortValue: (l) => l.value },
    {
      key: 'workloads',
      header: 'Workloads',
      render: (l) => <a href={link('/workloads', { labels: l.href })}>show</a>,
    },
  ];
  if (editable)
    columns.push({
      key: 'actions',
      header: 'Actions',
      class: 'col-actions',
      render: (l) => (
        <span class="row-actions">
          <button type="button" class="button" data-testid="edit-label" onClick={() => setEditing({ kind: 'edit', label: l })}>
            Edit
          </button>
          <ConfirmButton testid="delete-label" confirmLabel={`Delete ${l.key}=${l.value}`} onConfirm={() => remove(l)}>
            Delete
          </ConfirmButton>
        </span>
      ),
    });

  const rows = labels.data?.items ?? [];
  return (
    <>
      <PageHeader title="Labels" subtitle="Labels describe workloads (role, app, env, loc and custom keys); policy is written against them.">
        {editable && (
          <button type="button" class="button button-primary" data-testid="create-label" onClick={() => setEditing({ kind: 'create' })}>
            Create label
          </button>
        )}
      </PageHeader>
      <div class="toolbar">
        <SelectField
          label="Key"
          name="key-filter"
          value={key}
          testid="label-key-filter"
          options={[{ value: '', label: 'All keys' }, ...keys.map((k) => ({ value: k, label: k }))]}
          onChange={(k) => navigate(link('/labels', { key: k }))}
        />
      </div>
      <ErrorList error={pageError ?? labels.error} />
      {labels.loading && !labels.data ? (
        <Loading what="labels" />
      ) : (
        <DataTable
          testid="labels-table"
          caption="Labels"
          columns={columns}
          rows={rows}
          rowKey={(l) => l.href}
          initialSort={{ key: 'label', dir: 'asc' }}
          empty={
            <EmptyState title={key ? `No ${key} labels yet` : 'No labels yet'}>
              {editable ? 'Create labels such as role=web or env=prod, then put them on workloads.' : 'An admin creates labels; ask one, or pair workloads with a pairing profile that sets them.'}
            </EmptyState>
          }
        />
      )}
      {editing && (
        <LabelForm
          keys={keys}
          editing={editing}
          defaultKey={key || keys[0] || 'role'}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            labels.reload();
          }}
        />
      )}
    </>
  );
}

function LabelForm(props: { keys: readonly string[]; editing: NonNullable<Editing>; defaultKey: string; onClose: () => void; onSaved: () => void }) {
  const { orgHref } = useSession();
  const existing = props.editing.kind === 'edit' ? props.editing.label : undefined;
  const [key, setKey] = useState(existing?.key ?? props.defaultKey);
  const [value, setValue] = useState(existing?.value ?? '');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (existing) await api.put(existing.href, { value });
      else await api.post(`${orgHref}/labels`, { key, value });
      notify.success(existing ? `Renamed to ${key}=${value.trim()}` : `Created ${key}=${value.trim()}`);
      props.onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={existing ? `Edit ${existing.key}=${existing.value}` : 'Create label'} onClose={props.onClose} testid="label-form">
      <form onSubmit={save} noValidate>
        <ErrorList error={error} exclude={['key', 'value']} />
        {existing ? (
          <p class="muted">Key: {existing.key}</p>
        ) : (
          <SelectField label="Key" name="key" value={key} options={props.keys.map((k) => ({ value: k, label: k }))} onChange={setKey} errors={fieldErrors(error, 'key')} testid="label-key" />
        )}
        <TextField label="Value" name="value" value={value} onInput={setValue} required autoFocus errors={fieldErrors(error, 'value')} testid="label-value" placeholder="e.g. web, prod, payments" />
        <div class="form-actions">
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy} data-testid="label-save">
            {existing ? 'Save' : 'Create'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
