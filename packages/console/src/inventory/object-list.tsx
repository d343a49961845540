/**
 * The shared frame of the draft policy-object pages (IP lists, services, label groups): list
 * the draft's objects, create and edit in a modal form the page supplies, delete with a
 * confirmation (a 409 "in use" answer is shown above the table). Built-ins are read-only.
 */
import type { ComponentType } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorList } from '../components/error-list.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Loading } from '../components/progress.tsx';
import { notify } from '../components/toast.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type { Role } from '../page.ts';
import { useSession } from '../session.tsx';
import { DraftHint, draftPath } from './draft-hint.tsx';

export interface ObjectFormProps<T> {
  /** Undefined: create. */
  readonly existing: T | undefined;
  readonly onClose: () => void;
  readonly onSaved: () => void;
}

export interface PolicyObject {
  readonly href: string;
  readonly name: string;
  readonly builtin?: boolean;
}

export function ObjectListPage<T extends PolicyObject>(props: {
  title: string;
  subtitle: string;
  type: 'ip_lists' | 'services' | 'label_groups';
  /** "IP list": in buttons and messages. */
  what: string;
  /** Prefix of data-testids: `create-${testid}`, `edit-${testid}`, `delete-${testid}`. */
  testid: string;
  editRole: Role;
  columns: readonly Column<T>[];
  form: ComponentType<ObjectFormProps<T>>;
  emptyNext: string;
}) {
  const { orgHref, can } = useSession();
  const list = useFetch(() => api.list<T>(draftPath(orgHref, props.type), { max_results: 10000 }), [orgHref, props.type]);
  const [editing, setEditing] = useState<{ existing: T | undefined } | undefined>();
  const [error, setError] = useState<unknown>();
  const editable = can(props.editRole);

  const remove = async (o: T): Promise<void> => {
    setError(undefined);
    try {
      await api.del(o.href);
      notify.success(`Deleted ${props.what} ${o.name}`);
      list.reload();
    } catch (e) {
      setError(e);
      notify.error(`Could not delete ${props.what} ${o.name}`, e);
    }
  };
  const columns: Column<T>[] = [...props.columns];
  if (editable)
    columns.push({
      key: 'actions',
      header: 'Actions',
      class: 'col-actions',
      render: (o) =>
        o.builtin ? (
          <span class="muted">Built-in</span>
        ) : (
          <span class="row-actions">
            <button type="button" class="button" data-testid={`edit-${props.testid}`} onClick={() => setEditing({ existing: o })}>
              Edit
            </button>
            <ConfirmButton testid={`delete-${props.testid}`} confirmLabel={`Delete ${o.name}`} onConfirm={() => remove(o)}>
              Delete
            </ConfirmButton>
          </span>
        ),
    });
  const Form = props.form;
  return (
    <>
      <PageHeader title={props.title} subtitle={props.subtitle}>
        {editable && (
          <button type="button" class="button button-primary" data-testid={`create-${props.testid}`} onClick={() => setEditing({ existing: undefined })}>
            Create {props.what}
          </button>
        )}
      </PageHeader>
      {editable && <DraftHint what={`${props.what}s`} />}
      <ErrorList error={error ?? list.error} />
      {list.loading && !list.data ? (
        <Loading what={`${props.what}s`} />
      ) : (
        <DataTable
          testid={`${props.testid}s-table`}
          caption={props.title}
          columns={columns}
          rows={list.data?.items ?? []}
          rowKey={(o) => o.href}
          initialSort={{ key: 'name', dir: 'asc' }}
          empty={<EmptyState title={`No ${props.what}s yet`}>{editable ? props.emptyNext : `Someone with the ${props.editRole} role creates ${props.what}s.`}</EmptyState>}
        />
      )}
      {editing && (
        <Form
          existing={editing.existing}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            list.reload();
          }}
        />
      )}
    </>
  );
}

/** Save a draft object (POST to create, PUT to update) with the form's busy/error state. */
export function useObjectSave(type: 'ip_lists' | 'services' | 'label_groups', what: string, existing: PolicyObject | undefined, onSaved: () => void) {
  const { orgHref } = useSession();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const save = async (body: Record<string, unknown>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      if (existing) await api.put(existing.href, body);
      else await api.post(draftPath(orgHref, type), body);
      notify.success(`${existing ? 'Saved' : 'Created'} ${what} ${String(body['name'] ?? '')}`);
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { error, setError, busy, save };
}

export function FormActions(props: { onClose: () => void; busy: boolean; creating: boolean; testid: string }) {
  return (
    <div class="form-actions">
      <button type="button" class="button" onClick={props.onClose}>
        Cancel
      </button>
      <button type="submit" class="button button-primary" disabled={props.busy} data-testid={`${props.testid}-save`}>
        {props.creating ? 'Create' : 'Save'}
      </button>
    </div>
  );
}
