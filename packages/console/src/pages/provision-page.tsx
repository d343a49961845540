/**
 * Pending changes of the draft, each with a field-level diff against the active version;
 * provision them all or a selection with a description, or revert them. Provisioning and
 * reverting need the admin role (as the API does).
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorList, errorItems } from '../components/error-list.tsx';
import { TextAreaField } from '../components/field.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Loading, Progress } from '../components/progress.tsx';
import { notify } from '../components/toast.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type { PageProps } from '../page.ts';
import { link } from '../router.ts';
import { useSession } from '../session.tsx';
import type { NameBook } from '../policy/actors.ts';
import { ChangeBadge, DiffTable, objectTitle } from '../policy/diff-view.tsx';
import { useCatalog } from '../policy/name-book.ts';
import { activeHref, changeSubset, pendingItems, type PendingItem } from '../policy/pending.ts';
import { NoteList } from '../policy/rule-note-list.tsx';
import { objectNotes, type ApiMessage } from '../policy/rule-notes.ts';
import type { ApiRuleSet } from '../policy/rule-rows.ts';
import { asRuleSetNotes, loadRuleWarnings } from '../policy/rule-warnings.ts';
import '../policy/policy.css';

interface ProvisionResult {
  readonly href: string;
  readonly version: number;
  readonly workloads_affected: number;
  /** `href`: the rule a warning is about (`…/rule_sets/3/sec_rules/7`), when the PCE knows it. */
  readonly warnings: (ApiMessage & { readonly href?: string })[];
}

/** The console path of the rule set an object href belongs to, if any. */
export function ruleSetPathOf(href: string | undefined): string | undefined {
  const m = href === undefined ? null : /\/rule_sets\/(\d+)(?:\/|$)/.exec(href);
  return m?.[1] === undefined ? undefined : `/rule-sets/${m[1]}`;
}

function ProvisionWarnings(props: { warnings: ProvisionResult['warnings'] }) {
  return (
    <div data-testid="provision-warnings">
      {props.warnings.map((w, i) => {
        const path = ruleSetPathOf(w.href);
        return (
          <div key={i} class="provision-warning">
            <NoteList notes={[{ severity: 'warning', token: w.token, message: w.message }]} testid={`provision-warning-${i}`} />
            {path && (
              <a href={link(path)} data-testid="provision-warning-link">
                Open the rule set
              </a>
            )}
          </div>
        );
      })}
    </div>
  );
}

async function getOrUndefined(href: string): Promise<unknown> {
  try {
    return await api.get<unknown>(href);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** A deletion's pending entry has no name (the draft holds nothing): the active object does. */
function nameOf(obj: unknown): string | undefined {
  const name = typeof obj === 'object' && obj !== null ? (obj as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}

function PendingCard(props: { item: PendingItem; names: NameBook; selected: boolean; selectable: boolean; onToggle: () => void; problems: readonly ApiMessage[] }) {
  const { item } = props;
  const f = useFetch(async () => {
    const before = item.change === 'create' ? undefined : await getOrUndefined(activeHref(item.href));
    const after = item.change === 'delete' ? undefined : await getOrUndefined(item.href);
    // What provisioning a rule set will warn about, shown before it is provisioned.
    const warnings = item.type === 'rule_sets' && after ? asRuleSetNotes(await loadRuleWarnings(after as ApiRuleSet)) : [];
    return { before, after, warnings };
  }, [item.href, item.updatedAt]);
  const id = item.href.slice(item.href.lastIndexOf('/') + 1);
  const notes = objectNotes(props.problems, item.href, 'error');
  return (
    <article class="panel diff-object" data-testid={`pending-${item.type}-${id}`} data-href={item.href}>
      <h3>
        {props.selectable && <input type="checkbox" checked={props.selected} onChange={props.onToggle} aria-label={`Select ${objectTitle(item.type, item.name)}`} data-testid={`pending-select-${item.type}-${id}`} />}
        <span>{objectTitle(item.type, nameOf(f.data?.before) ?? item.name)}</span>
        <ChangeBadge change={item.change} />
        {item.type === 'rule_sets' && item.change !== 'delete' && <a href={link(`/rule-sets/${id}`)}>open</a>}
      </h3>
      <NoteList notes={notes} testid={`pending-${item.type}-${id}-errors`} />
      <NoteList notes={f.data?.warnings ?? []} testid={`pending-${item.type}-${id}-warnings`} />
      {f.loading && !f.data ? <Loading what="the changes" /> : f.error ? <ErrorList error={f.error} /> : <DiffTable before={f.data?.before} after={f.data?.after} names={props.names} />}
    </article>
  );
}

export function ProvisionPage(_props: PageProps) {
  const { orgHref, can } = useSession();
  const canProvision = can('admin');
  const { catalog } = useCatalog();
  const f = useFetch(async () => pendingItems(await api.get<Record<string, { href: string; change_type: 'create' | 'update' | 'delete'; name?: string; updated_at?: string }[]>>(`${orgHref}/sec_policy/pending`)), [orgHref]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [description, setDescription] = useState('');
  const [running, setRunning] = useState<'provision' | 'revert' | undefined>();
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<ProvisionResult>();
  const items = f.data ?? [];
  const picked = items.filter((i) => selected.has(i.href));
  const subset = picked.length > 0 && picked.length < items.length ? changeSubset(picked) : undefined;
  const names = catalog?.names ?? new Map<string, string>();
  const toggle = (href: string): void =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(href)) n.delete(href);
      else n.add(href);
      return n;
    });

  const provision = async (e: Event): Promise<void> => {
    e.preventDefault();
    setRunning('provision');
    setError(undefined);
    setResult(undefined);
    try {
      const r = await api.post<ProvisionResult>(`${orgHref}/sec_policy`, { update_description: description, ...(subset ? { change_subset: subset } : {}) });
      setResult(r);
      setDescription('');
      setSelected(new Set());
      notify.success(`Provisioned as version ${r.version}`);
      f.reload();
    } catch (err) {
      setError(err);
    } finally {
      setRunning(undefined);
    }
  };
  const revert = async (): Promise<void> => {
    setRunning('revert');
    setError(undefined);
    try {
      await api.put(`${orgHref}/sec_policy/delete_pending`, subset ? { change_subset: subset } : {});
      notify.success(subset ? `Reverted ${picked.length} change(s)` : 'Reverted every pending change');
      setSelected(new Set());
      f.reload();
    } catch (err) {
      setError(err);
    } finally {
      setRunning(undefined);
    }
  };
  // Refusals that name a pending object show on its card; the rest above the list.
  const problems = errorItems(error);
  const general = problems.filter((p) => !items.some((i) => p.message.startsWith(i.href)));
  const what = subset ? `${picked.length} selected change(s)` : `all ${items.length} change(s)`;

  return (
    <section data-testid="provision-page">
      <PageHeader title="Provision" subtitle="Pending changes of the draft, compared with the active policy. Provisioning makes them a new active version; agents receive it at once." />
      {result && (
        <div class="panel" data-testid="provision-result" role="status">
          <strong>Version {result.version} is active.</strong> {result.workloads_affected} workload(s) affected. <a href={link('/versions')}>See versions</a>
          {result.warnings.length > 0 && <ProvisionWarnings warnings={result.warnings} />}
        </div>
      )}
      <ErrorList error={general.length > 0 ? new ApiError(406, general) : undefined} />
      {f.error !== undefined && <ErrorList error={f.error} />}
      {f.loading && !f.data ? (
        <Loading what="pending changes" />
      ) : items.length === 0 ? (
        <EmptyState title="Nothing to provision" action={<a class="button" href={link('/rule-sets')}>Rule sets</a>}>
          The draft equals the active policy. Change rule sets, IP lists, services or label groups, then come back here.
        </EmptyState>
      ) : (
        <>
          {canProvision ? (
            <form class="panel" onSubmit={provision} data-testid="provision-form">
              <TextAreaField label="Description of this version" name="update_description" value={description} onInput={setDescription} rows={2} testid="provision-description" placeholder="What changes and why" />
              <div class="form-actions">
                <label class="picker-row">
                  <input type="checkbox" checked={picked.length === items.length} onChange={() => setSelected(picked.length === items.length ? new Set() : new Set(items.map((i) => i.href)))} data-testid="pending-select-all" />
                  Select all
                </label>
                <ConfirmButton testid="revert" confirmLabel={`Revert ${what}?`} disabled={running !== undefined} onConfirm={revert}>
                  {subset ? 'Revert selected' : 'Revert all'}
                </ConfirmButton>
                <button type="submit" class="button button-primary" disabled={running !== undefined || description.trim() === ''} data-testid="provision-submit">
                  Provision {what}
                </button>
              </div>
              {running && <Progress label={running === 'provision' ? `Provisioning ${what}: checking the policy and writing the new version…` : 'Reverting…'} testid="provision-progress" />}
            </form>
          ) : (
            <p class="muted" data-testid="provision-read-only">
              An admin provisions or reverts these changes.
            </p>
          )}
          <div data-testid="pending-list">
            {items.map((i) => (
              <PendingCard key={i.href} item={i} names={names} selected={selected.has(i.href)} selectable={canProvision} onToggle={() => toggle(i.href)} problems={problems} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}
