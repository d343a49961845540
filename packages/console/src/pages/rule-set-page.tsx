/**
 * One rule set: its scopes, and its rules with the SecureConnect column. Ruleset managers add,
 * edit and delete rules here; errors and SecureConnect warnings show at the rule they concern.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api/client.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorList, fieldErrors } from '../components/error-list.tsx';
import { CheckboxField, TextAreaField, TextField } from '../components/field.tsx';
import { Modal } from '../components/modal.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Loading } from '../components/progress.tsx';
import { notify } from '../components/toast.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type { PageProps } from '../page.ts';
import { link, navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { useCatalog, type Catalog } from '../policy/name-book.ts';
import { pendingByHref, pendingItems, ruleSetState } from '../policy/pending.ts';
import { mergeNotes, notesOf, type RuleNote } from '../policy/rule-notes.ts';
import { loadRuleWarnings } from '../policy/rule-warnings.ts';
import { RuleForm } from '../policy/rule-form.tsx';
import { ruleRows, type ApiRule, type ApiRuleSet, type RuleType } from '../policy/rule-rows.ts';
import { RuleSetStateBadge } from '../policy/rule-set-state-badge.tsx';
import { RulesTable } from '../policy/rules-table.tsx';
import { ScopesEditor, ScopesView, scopesBody } from '../policy/scopes-view.tsx';
import '../policy/policy.css';

type Editing = { type: RuleType; rule?: ApiRule } | undefined;

function EditRuleSet(props: { rs: ApiRuleSet; onClose: () => void; onSaved: () => void }) {
  const simpleScopes = props.rs.scopes.every((s) => s.every((e) => e.label && !e.exclusion));
  const [name, setName] = useState(props.rs.name);
  const [description, setDescription] = useState(props.rs.description ?? '');
  const [enabled, setEnabled] = useState(props.rs.enabled);
  const [scopes, setScopes] = useState<string[][]>(props.rs.scopes.map((s) => s.flatMap((e) => (e.label ? [e.label.href] : []))));
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      await api.put(props.rs.href, { name, description, enabled, ...(simpleScopes ? { scopes: scopesBody(scopes.filter((s) => s.length > 0)) } : {}) });
      notify.success('Rule set saved in the draft');
      props.onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Modal title={`Edit rule set ${props.rs.name}`} onClose={props.onClose} testid="edit-rule-set" wide>
      <form onSubmit={submit}>
        <ErrorList error={error} exclude={['name']} />
        <TextField label="Name" name="name" value={name} onInput={setName} required errors={fieldErrors(error, 'name')} />
        <TextAreaField label="Description" name="description" value={description} onInput={setDescription} rows={2} />
        <CheckboxField label="Enabled" name="enabled" checked={enabled} onChange={setEnabled} />
        <fieldset class="field">
          <legend>Scopes</legend>
          {simpleScopes ? <ScopesEditor value={scopes} onChange={setScopes} /> : <p class="muted">These scopes use label groups or exclusions; edit them through the API (PUT {props.rs.href}).</p>}
        </fieldset>
        <div class="form-actions">
          <button type="button" class="button button-quiet" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" data-testid="edit-rule-set-submit">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

function RuleSetView(props: { rs: ApiRuleSet; state: ReturnType<typeof ruleSetState>; catalog: Catalog; warnings: Map<string, RuleNote[]>; reload: () => void }) {
  const { can } = useSession();
  const canEdit = can('ruleset_manager');
  const { rs, catalog } = props;
  const [editing, setEditing] = useState<Editing>();
  const [editingSet, setEditingSet] = useState(false);
  // Warnings answered by a write, shown at once; the reload after it brings the same from the
  // rule GETs, which then take over (so they never go stale).
  const [written, setWritten] = useState<Map<string, RuleNote[]>>(new Map());
  useEffect(() => setWritten(new Map()), [props.warnings]);
  const [deleteErrors, setDeleteErrors] = useState<Map<string, RuleNote[]>>(new Map());
  const notes = mergeNotes(
    new Map([...props.warnings].filter(([h]) => !written.has(h))),
    written,
    deleteErrors,
  );
  const rows = ruleRows(rs, catalog.names, notes);
  const removeRule = async (href: string): Promise<void> => {
    try {
      await api.del(href);
      notify.success('Rule deleted from the draft');
      props.reload();
    } catch (err) {
      const items = err instanceof ApiError ? err.errors : [{ token: 'error', message: String(err) }];
      setDeleteErrors(new Map([[href, notesOf(items, 'error')]]));
    }
  };
  return (
    <>
      <PageHeader
        title={rs.name}
        subtitle={
          <span>
            <RuleSetStateBadge state={props.state} /> {rs.enabled ? '' : <strong>Disabled. </strong>}
            {rs.description}
            {props.state !== 'active' && (
              <>
                {' '}
                <a href={link('/provision')}>Provision</a> to make the draft active.
              </>
            )}
          </span>
        }
      >
        {canEdit && (
          <>
            <button type="button" class="button" data-testid="edit-rule-set" onClick={() => setEditingSet(true)}>
              Edit rule set
            </button>
            <ConfirmButton
              testid="delete-rule-set"
              confirmLabel="Delete rule set?"
              onConfirm={async () => {
                try {
                  await api.del(rs.href);
                  notify.success(`Rule set "${rs.name}" deleted from the draft`);
                  navigate('/rule-sets');
                } catch (err) {
                  notify.error('Could not delete the rule set', err);
                }
              }}
            >
              Delete
            </ConfirmButton>
          </>
        )}
      </PageHeader>
      <div class="panel">
        <strong>Scopes: </strong>
        <ScopesView scopes={rs.scopes} names={catalog.names} />
      </div>
      <div class="toolbar">
        <h2>Rules</h2>
        {canEdit && (
          <>
            <button type="button" class="button button-primary" data-testid="add-rule" onClick={() => setEditing({ type: 'allow' })}>
              Add rule
            </button>
            <button type="button" class="button" data-testid="add-deny-rule" onClick={() => setEditing({ type: 'deny' })}>
              Add deny rule
            </button>
          </>
        )}
      </div>
      {rows.length === 0 ? (
        <EmptyState title="No rules yet">{canEdit ? 'Add a rule: who connects (consumers), to whom (providers), on which services, and whether with SecureConnect.' : 'A ruleset manager adds rules here.'}</EmptyState>
      ) : (
        <RulesTable
          rows={rows}
          actions={
            canEdit
              ? (r) => (
                  <span class="confirm">
                    <button
                      type="button"
                      class="button"
                      data-testid={`edit-rule-${r.id}`}
                      onClick={() => {
                        const rule = [...(rs.rules ?? []), ...(rs.deny_rules ?? [])].find((x) => x.href === r.href);
                        if (rule) setEditing({ type: r.type, rule });
                      }}
                    >
                      Edit
                    </button>
                    <ConfirmButton testid={`delete-rule-${r.id}`} confirmLabel="Delete?" onConfirm={() => removeRule(r.href)}>
                      Delete
                    </ConfirmButton>
                  </span>
                )
              : undefined
          }
        />
      )}
      {editing && (
        <RuleForm
          ruleSetHref={rs.href}
          type={editing.type}
          rule={editing.rule}
          catalog={catalog}
          onClose={() => setEditing(undefined)}
          onSaved={(href, warnings) => {
            setEditing(undefined);
            setWritten((m) => new Map([...m, [href, warnings]]));
            if (warnings.length > 0) notify.info('Rule saved with warnings: see the rule');
            else notify.success('Rule saved in the draft');
            props.reload();
          }}
        />
      )}
      {editingSet && (
        <EditRuleSet
          rs={rs}
          onClose={() => setEditingSet(false)}
          onSaved={() => {
            setEditingSet(false);
            props.reload();
          }}
        />
      )}
    </>
  );
}

export function RuleSetPage(props: PageProps) {
  const { orgHref } = useSession();
  const id = props.params['id'] ?? '';
  const { catalog, error: catalogError } = useCatalog();
  const f = useFetch(async () => {
    const href = `${orgHref}/sec_policy/draft/rule_sets/${encodeURIComponent(id)}`;
    const [rs, pending] = await Promise.all([api.get<ApiRuleSet>(href), api.get<Record<string, { href: string; change_type: 'create' | 'update' | 'delete' }[]>>(`${orgHref}/sec_policy/pending`)]);
    return { rs, state: ruleSetState(rs.href, pendingByHref(pendingItems(pending))), warnings: await loadRuleWarnings(rs) };
  }, [orgHref, id]);
  return (
    <section data-testid="rule-set-page">
      <p>
        <a href={link('/rule-sets')}>← Rule sets</a>
      </p>
      <ErrorList error={f.error ?? catalogError} />
      {f.error instanceof ApiError && f.error.status === 404 && <EmptyState title="This rule set is not in the draft">It may have been deleted. Go back to the rule sets.</EmptyState>}
      {f.data && catalog ? (
        <RuleSetView rs={f.data.rs} state={f.data.state} catalog={catalog} warnings={f.data.warnings} reload={f.reload} />
      ) : (
        f.error === undefined && catalogError === undefined && <Loading what="the rule set" />
      )}
    </section>
  );
}
