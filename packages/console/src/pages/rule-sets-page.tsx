/**
 * Rule sets in the draft: name, scopes, rule counts, enabled, and whether each is active as
 * is or has pending changes (provision to make them active). Creating one asks for a name and
 * its scopes.
 */
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorList, fieldErrors } from '../components/error-list.tsx';
import { TextField, TextAreaField } from '../components/field.tsx';
import { Modal } from '../components/modal.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Loading } from '../components/progress.tsx';
import { notify } from '../components/toast.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type { PageProps } from '../page.ts';
import { link, navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { draftHref } from '../policy/actors.ts';
import { useCatalog } from '../policy/name-book.ts';
import { pendingByHref, pendingItems, ruleSetState, type RuleSetState } from '../policy/pending.ts';
import { ruleId, type ApiRuleSet } from '../policy/rule-rows.ts';
import { RuleSetStateBadge } from '../policy/rule-set-state-badge.tsx';
import { LockIcon } from '../policy/rules-table.tsx';
import { ScopesEditor, ScopesView, scopesBody } from '../policy/scopes-view.tsx';
import '../policy/policy.css';

interface Row {
  readonly rs: ApiRuleSet;
  readonly state: RuleSetState;
}

function CreateRuleSet(props: { onClose: () => void }) {
  const { orgHref } = useSession();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [scopes, setScopes] = useState<string[][]>([[]]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await api.post<ApiRuleSet>(`${orgHref}/sec_policy/draft/rule_sets`, { name, description, scopes: scopesBody(scopes.filter((s) => s.length > 0)) });
      notify.success(`Rule set "${created.name}" created in the draft`);
      navigate(`/rule-sets/${ruleId(created.href)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="New rule set" onClose={props.onClose} testid="create-rule-set" wide>
      <form onSubmit={submit}>
        <ErrorList error={error} exclude={['name', 'description', 'scopes']} />
        <TextField label="Name" name="name" value={name} onInput={setName} required autoFocus errors={fieldErrors(error, 'name')} testid="rule-set-name" />
        <TextAreaField label="Description" name="description" value={description} onInput={setDescription} rows={2} />
        <fieldset class="field">
          <legend>Scopes</legend>
          <p class="field-hint">A workload is in scope when it has every label of one scope (each scope is an AND, the scopes are an OR).</p>
          <ScopesEditor value={scopes} onChange={setScopes} />
          {fieldErrors(error, 'scopes').map((m, i) => (
            <div class="field-error" key={i}>
              {m}
            </div>
          ))}
        </fieldset>
        <div class="form-actions">
          <button type="button" class="button button-quiet" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy || name.trim() === ''} data-testid="create-rule-set-submit">
            {busy ? 'Creating…' : 'Create rule set'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function RuleSetsPage(_props: PageProps) {
  const { orgHref, can } = useSession();
  const canEdit = can('ruleset_manager');
  const [creating, setCreating] = useState(false);
  const { catalog } = useCatalog();
  const f = useFetch(async () => {
    const [list, pending] = await Promise.all([
      api.list<ApiRuleSet>(`${orgHref}/sec_policy/draft/rule_sets`, { max_results: 10000 }),
      api.get<Record<string, { href: string; change_type: 'create' | 'update' | 'delete' }[]>>(`${orgHref}/sec_policy/pending`),
    ]);
    const byHref = pendingByHref(pendingItems(pending));
    const rows: Row[] = list.items.map((rs) => ({ rs, state: ruleSetState(rs.href, byHref) }));
    // Rule sets deleted in the draft are only in the pending list: show them until provisioned.
    const deletedItems = pendingItems(pending).filter((p) => p.type === 'rule_sets' && p.change === 'delete');
    // The pending list has no name for a deletion (the draft holds nothing): the active version does.
    const active = deletedItems.length > 0 ? (await api.list<ApiRuleSet>(`${orgHref}/sec_policy/active/rule_sets`, { max_results: 10000 })).items : [];
    const activeNames = new Map(active.map((rs) => [draftHref(rs.href), rs.name]));
    const deleted = deletedItems.map((d) => activeNames.get(d.href) ?? d.name);
    return { rows, deleted, pendingCount: byHref.size };
  }, [orgHref]);
  const names = catalog?.names ?? new Map<string, string>();
  const columns: Column<Row>[] = [
    { key: 'name', header: 'Name', sortValue: (r) => r.rs.name, render: (r) => <a href={link(`/rule-sets/${ruleId(r.rs.href)}`)} data-testid={`rule-set-link-${r.rs.name}`}>{r.rs.name}</a> },
    { key: 'scopes', header: 'Scopes', render: (r) => <ScopesView scopes={r.rs.scopes} names={names} /> },
    { key: 'rules', header: 'Rules', sortValue: (r) => (r.rs.rules?.length ?? 0) + (r.rs.deny_rules?.length ?? 0), render: (r) => <span>{r.rs.rules?.length ?? 0} allow{(r.rs.deny_rules?.length ?? 0) > 0 ? `, ${r.rs.deny_rules?.length ?? 0} deny` : ''}</span> },
    { key: 'sc', header: 'SecureConnect', sortValue: (r) => (r.rs.rules ?? []).filter((x) => x.sec_connect).length, render: (r) => { const n = (r.rs.rules ?? []).filter((x) => x.sec_connect).length; return n > 0 ? <span class="sc-badge" title={`${n} SecureConnect rule(s)`}><LockIcon /> {n}</span> : <span class="sc-off">—</span>; } },
    { key: 'enabled', header: 'Enabled', sortValue: (r) => (r.rs.enabled ? 1 : 0), render: (r) => <span class={`status ${r.rs.enabled ? 'status-ok' : ''}`}>{r.rs.enabled ? 'enabled' : 'disabled'}</span> },
    { key: 'state', header: 'State', sortValue: (r) => r.state, render: (r) => <RuleSetStateBadge state={r.state} /> },
  ];
  return (
    <section data-testid="rule-sets-page">
      <PageHeader title="Rule sets" subtitle={f.data && f.data.pendingCount > 0 ? <span>Draft has {f.data.pendingCount} pending change(s): <a href={link('/provision')}>review and provision</a> to make them active.</span> : 'What is listed is the draft; provisioned rule sets are marked active.'}>
        {canEdit && (
          <button type="button" class="button button-primary" data-testid="new-rule-set" onClick={() => setCreating(true)}>
            New rule set
          </button>
        )}
      </PageHeader>
      <ErrorList error={f.error} />
      {f.loading && !f.data ? (
        <Loading what="rule sets" />
      ) : (
        <DataTable
          testid="rule-sets-table"
          caption="Rule sets"
          columns={columns}
          rows={f.data?.rows ?? []}
          rowKey={(r) => r.rs.href}
          onRowClick={(r) => navigate(`/rule-sets/${ruleId(r.rs.href)}`)}
          initialSort={{ key: 'name', dir: 'asc' }}
          empty={
            <EmptyState title="No rule sets yet" action={canEdit ? <button type="button" class="button button-primary" onClick={() => setCreating(true)}>New rule set</button> : undefined}>
              {canEdit ? 'Create a rule set, give it scopes, then add rules (SecureConnect included) and provision.' : 'A ruleset manager creates rule sets; you will see them here.'}
            </EmptyState>
          }
        />
      )}
      {(f.data?.deleted.length ?? 0) > 0 && (
        <p class="muted" data-testid="deleted-rule-sets">
          Deleted in the draft, still active until provisioned: {f.data?.deleted.join(', ')}
        </p>
      )}
      {creating && <CreateRuleSet onClose={() => setCreating(false)} />}
    </section>
  );
}
