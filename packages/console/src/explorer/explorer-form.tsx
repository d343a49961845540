/**
 * Explorer's filter form. Edits a draft; "Run" writes the draft into the URL (the page runs
 * what the URL says), so the browser's back button, bookmarks and map links all work the same.
 */
import { useEffect, useState } from 'preact/hooks';
import { CheckboxField, SelectField, TextField } from '../components/field.tsx';
import { LabelPicker } from '../components/label-picker.tsx';
import { DECISIONS, DECISION_STYLES } from '../decision-palette.ts';
import { DEFAULT_FILTERS, MAX_MAX_RESULTS, TIME_RANGES, type ExplorerFilters, type SideFilters, type TimeRange } from './explorer-filters.ts';
import { PolicyObjectPicker } from './policy-object-picker.tsx';
import { WorkloadPicker } from './workload-picker.tsx';

const split = (s: string): string[] =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter((x) => x !== '');

function SideFields(props: { title: string; prefix: 'src' | 'dst'; side: SideFilters; onChange: (s: SideFilters) => void; errors: Readonly<Record<string, string>> }) {
  const s = props.side;
  const set = (patch: Partial<SideFilters>): void => props.onChange({ ...s, ...patch });
  const excluded = s.excludeLabels.length + s.excludeLabelGroups.length + s.excludeWorkloads.length + s.excludeIpLists.length + s.excludeIps.length;
  const err = (k: string): string[] => (props.errors[`${props.prefix}.${k}`] ? [props.errors[`${props.prefix}.${k}`] ?? ''] : []);
  return (
    <fieldset class="explorer-side" data-testid={`explorer-${props.prefix}`}>
      <legend>{props.title}</legend>
      <div class="field">
        <span class="field-label">Labels (same key: any of them; different keys: all)</span>
        <LabelPicker multiple value={s.labels} onChange={(labels) => set({ labels })} testid={`${props.prefix}-labels`} />
        {err('labels').map((e) => (
          <div class="field-error" key={e}>
            {e}
          </div>
        ))}
      </div>
      <PolicyObjectPicker label="Label groups" type="label_groups" value={s.labelGroups} onChange={(labelGroups) => set({ labelGroups })} testid={`${props.prefix}-label-groups`} />
      <WorkloadPicker label="Workloads" value={s.workloads} onChange={(workloads) => set({ workloads })} testid={`${props.prefix}-workloads`} />
      <PolicyObjectPicker label="IP lists" type="ip_lists" value={s.ipLists} onChange={(ipLists) => set({ ipLists })} testid={`${props.prefix}-ip-lists`} />
      <TextField label="IP addresses or CIDR blocks" name={`${props.prefix}-ips`} testid={`${props.prefix}-ips`} value={s.ips.join(', ')} placeholder="10.0.0.5, 192.168.0.0/24" onInput={(v) => set({ ips: split(v) })} />
      <details open={excluded > 0}>
        <summary>Exclude{excluded > 0 ? ` (${excluded})` : ''}</summary>
        <div class="field">
          <span class="field-label">Labels</span>
          <LabelPicker multiple value={s.excludeLabels} onChange={(excludeLabels) => set({ excludeLabels })} testid={`${props.prefix}-xlabels`} />
        </div>
        <PolicyObjectPicker label="Label groups" type="label_groups" value={s.excludeLabelGroups} onChange={(excludeLabelGroups) => set({ excludeLabelGroups })} testid={`${props.prefix}-xlabel-groups`} />
        <WorkloadPicker label="Workloads" value={s.excludeWorkloads} onChange={(excludeWorkloads) => set({ excludeWorkloads })} testid={`${props.prefix}-xworkloads`} />
        <PolicyObjectPicker label="IP lists" type="ip_lists" value={s.excludeIpLists} onChange={(excludeIpLists) => set({ excludeIpLists })} testid={`${props.prefix}-xip-lists`} />
        <TextField label="IP addresses" name={`${props.prefix}-xips`} testid={`${props.prefix}-xips`} value={s.excludeIps.join(', ')} errors={err('exclude')} onInput={(v) => set({ excludeIps: split(v) })} />
      </details>
    </fieldset>
  );
}

export function ExplorerForm(props: { filters: ExplorerFilters; errors: Readonly<Record<string, string>>; busy: boolean; onRun: (f: ExplorerFilters) => void }) {
  const [draft, setDraft] = useState(props.filters);
  // What the max field shows while typed (the number only changes when it reads as one).
  const [maxText, setMaxText] = useState(String(props.filters.max));
  // A new URL (map link, back button) replaces the draft.
  useEffect(() => {
    setDraft(props.filters);
    setMaxText(String(props.filters.max));
  }, [props.filters]);
  const set = (patch: Partial<ExplorerFilters>): void => setDraft((d) => ({ ...d, ...patch }));
  const err = (k: string): string[] => (props.errors[k] ? [props.errors[k] ?? ''] : []);
  const decisions = new Set(draft.decisions);
  return (
    <form
      class="explorer-form panel"
      data-testid="explorer-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onRun(draft);
      }}
    >
      <div class="explorer-sides">
        <SideFields title="Sources" prefix="src" side={draft.src} onChange={(src) => set({ src })} errors={props.errors} />
        <SideFields title="Destinations" prefix="dst" side={draft.dst} onChange={(dst) => set({ dst })} errors={props.errors} />
      </div>
      <CheckboxField
        name="either"
        testid="explorer-either"
        label="A flow matches the sources or the destinations (all flows from or to them)"
        checked={draft.either}
        onChange={(either) => set({ either })}
      />
      <div class="explorer-row">
        <TextField label="Services" name="services" testid="explorer-services" hint="443/tcp, 8000-8080/tcp, 53/udp, icmp; empty: all" value={draft.services.join(', ')} errors={err('services')} onInput={(v) => set({ services: split(v) })} />
        <TextField label="Exclude services" name="xservices" testid="explorer-xservices" value={draft.excludeServices.join(', ')} errors={err('excludeServices')} onInput={(v) => set({ excludeServices: split(v) })} />
        <fieldset class="explorer-decisions">
          <legend>Policy decisions (none ticked: all)</legend>
          {DECISIONS.map((d) => (
            <CheckboxField
              key={d}
              name={`dec-${d}`}
              testid={`explorer-decision-${d}`}
              label={`${DECISION_STYLES[d].glyph} ${DECISION_STYLES[d].label}`}
              checked={decisions.has(d)}
              onChange={(on) => set({ decisions: DECISIONS.filter((x) => (x === d ? on : decisions.has(x))) })}
            />
          ))}
        </fieldset>
      </div>
      <div class="explorer-row">
        <SelectField label="Time range" name="range" testid="explorer-range" value={draft.range} options={TIME_RANGES} onChange={(v) => set({ range: v as TimeRange })} />
        {draft.range === 'custom' && (
          <>
            <DateTimeField label="From" value={draft.from} errors={err('from')} onInput={(from) => set({ from })} testid="explorer-from" />
            <DateTimeField label="To" value={draft.to} errors={err('to')} onInput={(to) => set({ to })} testid="explorer-to" />
          </>
        )}
        <TextField
          label="Max results"
          name="max"
          type="number"
          testid="explorer-max"
          hint={`up to ${MAX_MAX_RESULTS.toLocaleString()}`}
          value={maxText}
          errors={/^\d+$/.test(maxText) && Number(maxText) >= 1 && Number(maxText) <= MAX_MAX_RESULTS ? [] : [`a number from 1 to ${MAX_MAX_RESULTS.toLocaleString()}`]}
          onInput={(v) => {
            setMaxText(v);
            if (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_MAX_RESULTS) set({ max: Number(v) });
          }}
        />
      </div>
      <div class="form-actions">
        <button type="submit" class="button button-primary" data-testid="explorer-run" disabled={props.busy}>
          Run
        </button>
        <button
          type="button"
          class="button button-quiet"
          data-testid="explorer-reset"
          onClick={() => {
            setDraft(DEFAULT_FILTERS);
            setMaxText(String(DEFAULT_FILTERS.max));
          }}
        >
          Clear filters
        </button>
      </div>
    </form>
  );
}

/** `datetime-local` (the browser's time zone); the query sends ISO. */
function DateTimeField(props: { label: string; value: string; errors: string[]; onInput: (v: string) => void; testid: string }) {
  return (
    <div class={`field${props.errors.length ? ' field-invalid' : ''}`}>
      <label>
        {props.label}
        <input type="datetime-local" value={props.value.slice(0, 16)} data-testid={props.testid} aria-invalid={props.errors.length > 0 ? 'true' : undefined} onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)} />
      </label>
      {props.errors.map((e) => (
        <div class="field-error" key={e}>
          {e}
        </div>
      ))}
    </div>
  );
}
