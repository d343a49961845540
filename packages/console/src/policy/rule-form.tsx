/**
 * Add or edit one rule (allow or deny). A refused write (406) shows its errors in the form,
 * next to the consumers or providers they name; warnings of an accepted SecureConnect rule
 * go back to the page, which shows them at the rule's row.
 */
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { errorItems, fieldErrors } from '../components/error-list.tsx';
import { CheckboxField, TextField } from '../components/field.tsx';
import { Modal } from '../components/modal.tsx';
import type { ApiActor, ApiService } from './actors.ts';
import { ActorPicker, ServicePicker } from './actor-picker.tsx';
import type { Catalog } from './name-book.ts';
import { notesOf, type ApiMessage, type RuleNote } from './rule-notes.ts';
import { NoteList } from './rule-note-list.tsx';
import type { ApiRule, RuleType } from './rule-rows.ts';

const SIDES = ['consumers', 'providers', 'ingress_services'];

export interface RuleFormProps {
  readonly ruleSetHref: string;
  readonly type: RuleType;
  /** Present when editing. */
  readonly rule?: ApiRule;
  readonly catalog: Catalog;
  readonly onClose: () => void;
  readonly onSaved: (ruleHref: string, warnings: RuleNote[]) => void;
}


export function RuleForm(props: RuleFormProps) {
  const r = props.rule;
  const [consumers, setConsumers] = useState<ApiActor[]>([...(r?.consumers ?? [])]);
  const [providers, setProviders] = useState<ApiActor[]>([...(r?.providers ?? [])]);
  const [services, setServices] = useState<ApiService[]>([...(r?.ingress_services ?? [])]);
  const [secConnect, setSecConnect] = useState(r?.sec_connect === true);
  const [enabled, setEnabled] = useState(r?.enabled ?? true);
  const [unscoped, setUnscoped] = useState(r?.unscoped_consumers === true);
  const [description, setDescription] = useState(r?.description ?? '');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const allow = props.type === 'allow';
  const kindPath = allow ? 'sec_rules' : 'deny_rules';

  const notes = notesOf(errorItems(error), 'error');
  const at = (side: string): RuleNote[] => notes.filter((n) => n.field?.startsWith(side));
  // Errors naming a side (`providers[0]: …` from the SecureConnect checks, `body.providers…`
  // from validation) show at that side; the rest at the top of the form.
  const general = notes.filter((n) => !n.field && !SIDES.some((f) => n.message.startsWith(`body.${f}`)));
  const bodyErr = (f: string): RuleNote[] => fieldErrors(error, f).map((m) => ({ severity: 'error', token: 'invalid', message: m }));

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const body = { consumers, providers, ingress_services: services, enabled, description, ...(allow ? { sec_connect: secConnect, unscoped_consumers: unscoped } : {}) };
    try {
      let href: string;
      let warnings: readonly ApiMessage[];
      if (r) {
        await api.put(r.href, body);
        href = r.href;
        // A PUT answers 204; the rule's GET in the draft carries its SecureConnect warnings.
        warnings = allow ? ((await api.get<{ warnings?: ApiMessage[] }>(r.href)).warnings ?? []) : [];
      } else {
        const created = await api.post<{ href: string; warnings?: ApiMessage[] }>(`${props.ruleSetHref}/${kindPath}`, body);
        href = created.href;
        warnings = created.warnings ?? [];
      }
      props.onSaved(href, notesOf(warnings, 'warning'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const title = `${r ? 'Edit' : 'Add'} ${allow ? 'rule' : 'deny rule'}${r ? ` ${r.href.slice(r.href.lastIndexOf('/') + 1)}` : ''}`;
  return (
    <Modal title={title} onClose={props.onClose} testid="rule-form" wide>
      <form onSubmit={submit}>
        <NoteList notes={general} testid="rule-form-errors" />
        <fieldset class="field">
          <legend>Consumers (who connects)</legend>
          <ActorPicker value={consumers} onChange={setConsumers} catalog={props.catalog} testid="consumers" />
          <NoteList notes={[...at('consumers'), ...bodyErr('consumers')]} testid="consumers-errors" />
        </fieldset>
        <fieldset class="field">
          <legend>Providers (who serves)</legend>
          <ActorPicker value={providers} onChange={setProviders} catalog={props.catalog} testid="providers" />
          <NoteList notes={[...at('providers'), ...bodyErr('providers')]} testid="providers-errors" />
        </fieldset>
        <fieldset class="field">
          <legend>Services</legend>
          <ServicePicker value={services} onChange={setServices} catalog={props.catalog} testid="services" />
          <NoteList notes={[...at('ingress_services'), ...bodyErr('ingress_services')]} testid="services-errors" />
        </fieldset>
        {allow && (
          <CheckboxField
            label="SecureConnect (IPsec between every workload pair this rule covers)"
            name="sec_connect"
            checked={secConnect}
            onChange={setSecConnect}
            testid="rule-sec-connect"
            hint="Host to host, all ports, fail closed. Name workloads, labels, label groups or all workloads: IP lists, virtual services and unmanaged workloads cannot do IPsec."
          />
        )}
        <CheckboxField label="Enabled" name="enabled" checked={enabled} onChange={setEnabled} testid="rule-enabled" />
        {allow && <CheckboxField label="Extra-scope consumers (consumers may be outside the rule set's scope)" name="unscoped_consumers" checked={unscoped} onChange={setUnscoped} testid="rule-unscoped" />}
        <TextField label="Description" name="description" value={description} onInput={setDescription} />
        <div class="form-actions">
          <button type="button" class="button button-quiet" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy} data-testid="rule-save">
            {busy ? 'Saving…' : r ? 'Save rule' : 'Add rule'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
