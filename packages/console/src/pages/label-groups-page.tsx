/**
 * Label groups: a name for several labels of one key (`app` group "Payments" = app=cards,
 * app=ledger), which may contain other groups of the same key. The table shows each group's
 * own labels, its sub-groups as a tree, and every label it stands for once nested groups are
 * expanded.
 */
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { ErrorList, FieldErrors, fieldErrors } from '../components/error-list.tsx';
import { CheckboxField, SelectField, TextAreaField, TextField } from '../components/field.tsx';
import { LabelChips } from '../components/label-chips.tsx';
import { groupByKey, useLabels } from '../components/label-picker.tsx';
import { Modal } from '../components/modal.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type { PageProps } from '../page.ts';
import { useSession } from '../session.tsx';
import { draftPath } from '../inventory/draft-hint.tsx';
import { expandGroup } from '../inventory/inventory-text.ts';
import { FormActions, ObjectListPage, useObjectSave, type ObjectFormProps } from '../inventory/object-list.tsx';
import type { LabelDimension, LabelGroup, LabelRef } from '../inventory/types.ts';

/** Every draft group, for nesting (names of sub-groups, expansion). */
function useGroups(): ReadonlyMap<string, LabelGroup> {
  const { orgHref } = useSession();
  const f = useFetch(() => api.list<LabelGroup>(draftPath(orgHref, 'label_groups'), { max_results: 10000 }), [orgHref]);
  return useMemo(() => new Map((f.data?.items ?? []).map((g) => [g.href, g])), [f.data]);
}

function SubGroupTree(props: { group: LabelGroup; groups: ReadonlyMap<string, LabelGroup>; seen?: ReadonlySet<string> }) {
  const seen = new Set(props.seen ?? []);
  seen.add(props.group.href);
  if (props.group.sub_groups.length === 0) return null;
  return (
    <ul class="tree">
      {props.group.sub_groups.map((s) => {
        const sub = props.groups.get(s.href);
        return (
          <li key={s.href}>
            {sub ? sub.name : s.href}
            {sub && !seen.has(sub.href) && <SubGroupTree group={sub} groups={props.groups} seen={seen} />}
          </li>
        );
      })}
    </ul>
  );
}

export function LabelGroupsPage(_props: PageProps) {
  const groups = useGroups();
  const { labels } = useLabels();
  const byHref = useMemo(() => new Map(labels.map((l) => [l.href, l])), [labels]);
  const chips = (hrefs: readonly string[]): LabelRef[] => hrefs.flatMap((h) => byHref.get(h) ?? []);
  return (
    <ObjectListPage<LabelGroup>
      title="Label groups"
      subtitle="Several labels of one key under one name; groups can contain groups."
      type="label_groups"
      what="label group"
      testid="label-group"
      editRole="ruleset_manager"
      form={LabelGroupForm}
      emptyNext="Create one to write a rule once for several apps, environments or locations."
      columns={[
        { key: 'name', header: 'Name', render: (g) => g.name, sortValue: (g) => g.name },
        { key: 'key', header: 'Key', render: (g) => g.key, sortValue: (g) => g.key },
        { key: 'labels', header: 'Labels', render: (g) => <LabelChips labels={chips(g.labels.map((l) => l.href))} empty="none" /> },
        { key: 'sub', header: 'Sub-groups', render: (g) => (g.sub_groups.length ? <SubGroupTree group={g} groups={groups} /> : <span class="muted">none</span>) },
        {
          key: 'all',
          header: 'All labels (nested)',
          render: (g) => {
            const all = expandGroup(g, groups);
            return <LabelChips labels={chips(all)} empty="none" />;
          },
        },
      ]}
    />
  );
}

function LabelGroupForm(props: ObjectFormProps<LabelGroup>) {
  const { orgHref } = useSession();
  const ex = props.existing;
  const dims = useFetch(() => api.list<LabelDimension>(`${orgHref}/label_dimensions`), [orgHref]);
  const groups = useGroups();
  const { labels } = useLabels();
  const [key, setKey] = useState(ex?.key ?? 'app');
  const [name, setName] = useState(ex?.name ?? '');
  const [description, setDescription] = useState(ex?.description ?? '');
  const [chosen, setChosen] = useState<Set<string>>(new Set(ex?.labels.map((l) => l.href) ?? []));
  const [subs, setSubs] = useState<Set<string>>(new Set(ex?.sub_groups.map((g) => g.href) ?? []));
  const { error, busy, save } = useObjectSave('label_groups', 'label group', ex, props.onSaved);
  const ofKey = groupByKey(labels).get(key) ?? [];
  const otherGroups = [...groups.values()].filter((g) => g.key === key && g.href !== ex?.href);
  const toggle = (set: Set<string>, h: string, on: boolean): Set<string> => {
    const next = new Set(set);
    if (on) next.add(h);
    else next.delete(h);
    return next;
  };
  const submit = (e: Event): void => {
    e.preventDefault();
    const body: Record<string, unknown> = { name, description, labels: [...chosen].map((href) => ({ href })), sub_groups: [...subs].map((href) => ({ href })) };
    void save(ex ? body : { ...body, key });
  };
  return (
    <Modal title={ex ? `Edit ${ex.name}` : 'Create label group'} onClose={props.onClose} testid="label-group-form" wide>
      <form onSubmit={submit} noValidate>
        <ErrorList error={error} exclude={['name', 'description', 'key', 'labels', 'sub_groups']} />
        {ex ? (
          <p class="muted">Key: {ex.key}</p>
        ) : (
          <SelectField
            label="Key"
            name="key"
            value={key}
            options={(dims.data?.items ?? []).map((d) => ({ value: d.key, label: d.display_name || d.key }))}
            onChange={(k) => {
              setKey(k);
              setChosen(new Set());
              setSubs(new Set());
            }}
            errors={fieldErrors(error, 'key')}
            testid="label-group-key"
          />
        )}
        <TextField label="Name" name="name" value={name} onInput={setName} required errors={fieldErrors(error, 'name')} testid="label-group-name" />
        <TextAreaField label="Description" name="description" value={description} onInput={setDescription} rows={2} errors={fieldErrors(error, 'description')} />
        <fieldset class="panel">
          <legend>Labels ({key})</legend>
          {ofKey.length === 0 && <p class="muted">No {key} labels yet: create them on the Labels page.</p>}
          {ofKey.map((l) => (
            <CheckboxField key={l.href} label={`${l.key}=${l.value}`} name={`label-${l.href}`} checked={chosen.has(l.href)} onChange={(on) => setChosen((s) => toggle(s, l.href, on))} testid={`group-label-${l.value}`} />
          ))}
          <FieldErrors messages={fieldErrors(error, 'labels')} />
        </fieldset>
        <fieldset class="panel">
          <legend>Sub-groups ({key})</legend>
          {otherGroups.length === 0 && <p class="muted">No other {key} groups.</p>}
          {otherGroups.map((g) => (
            <CheckboxField key={g.href} label={g.name} name={`group-${g.href}`} checked={subs.has(g.href)} onChange={(on) => setSubs((s) => toggle(s, g.href, on))} testid={`group-sub-${g.name}`} />
          ))}
          <FieldErrors messages={fieldErrors(error, 'sub_groups')} />
        </fieldset>
        <FormActions onClose={props.onClose} busy={busy} creating={!ex} testid="label-group" />
      </form>
    </Modal>
  );
}
