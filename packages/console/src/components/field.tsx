/**
 * Labelled form controls. Each renders its label, the control, a hint and the errors that
 * belong to it (`errors`, usually from fieldErrors), wired with aria-describedby/aria-invalid.
 */
import type { ComponentChildren } from 'preact';

let nextId = 0;
function idFor(name: string): string {
  nextId += 1;
  return `f-${name.replace(/[^a-zA-Z0-9_-]/g, '-')}-${nextId}`;
}

interface Common {
  label: string;
  name: string;
  hint?: ComponentChildren;
  errors?: readonly string[];
  disabled?: boolean;
  required?: boolean;
  testid?: string;
}

function Wrap(props: Common & { id: string; children: ComponentChildren }) {
  const errs = props.errors ?? [];
  return (
    <div class={`field${errs.length ? ' field-invalid' : ''}`}>
      <label for={props.id}>
        {props.label}
        {props.required && <span aria-hidden="true"> *</span>}
      </label>
      {props.children}
      {props.hint !== undefined && <div class="field-hint" id={`${props.id}-hint`}>{props.hint}</div>}
      {errs.map((e, i) => (
        <div class="field-error" id={`${props.id}-err${i}`} key={i} data-testid={props.testid ? `${props.testid}-error` : undefined}>
          {e}
        </div>
      ))}
    </div>
  );
}

function describedBy(id: string, p: Common): string | undefined {
  const ids = [...(p.hint !== undefined ? [`${id}-hint`] : []), ...(p.errors ?? []).map((_, i) => `${id}-err${i}`)];
  return ids.length ? ids.join(' ') : undefined;
}

export function TextField(props: Common & { value: string; onInput: (v: string) => void; type?: 'text' | 'password' | 'number'; placeholder?: string; autoFocus?: boolean; autocomplete?: string }) {
  const id = idFor(props.name);
  return (
    <Wrap {...props} id={id}>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        placeholder={props.placeholder}
        disabled={props.disabled}
        required={props.required}
        autoFocus={props.autoFocus}
        autocomplete={props.autocomplete}
        aria-invalid={(props.errors ?? []).length > 0 ? 'true' : undefined}
        aria-describedby={describedBy(id, props)}
        data-testid={props.testid}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </Wrap>
  );
}

export function TextAreaField(props: Common & { value: string; onInput: (v: string) => void; rows?: number; placeholder?: string }) {
  const id = idFor(props.name);
  return (
    <Wrap {...props} id={id}>
      <textarea
        id={id}
        name={props.name}
        rows={props.rows ?? 4}
        value={props.value}
        placeholder={props.placeholder}
        disabled={props.disabled}
        aria-invalid={(props.errors ?? []).length > 0 ? 'true' : undefined}
        aria-describedby={describedBy(id, props)}
        data-testid={props.testid}
        onInput={(e) => props.onInput((e.currentTarget as HTMLTextAreaElement).value)}
      />
    </Wrap>
  );
}

export interface Option {
  readonly value: string;
  readonly label: string;
}

export function SelectField(props: Common & { value: string; options: readonly Option[]; onChange: (v: string) => void }) {
  const id = idFor(props.name);
  return (
    <Wrap {...props} id={id}>
      <select
        id={id}
        name={props.name}
        value={props.value}
        disabled={props.disabled}
        aria-invalid={(props.errors ?? []).length > 0 ? 'true' : undefined}
        aria-describedby={describedBy(id, props)}
        data-testid={props.testid}
        onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Wrap>
  );
}

export function CheckboxField(props: Omit<Common, 'required'> & { checked: boolean; onChange: (v: boolean) => void }) {
  const id = idFor(props.name);
  const errs = props.errors ?? [];
  return (
    <div class={`field field-checkbox${errs.length ? ' field-invalid' : ''}`}>
      <input
        id={id}
        type="checkbox"
        name={props.name}
        checked={props.checked}
        disabled={props.disabled}
        aria-describedby={describedBy(id, props)}
        data-testid={props.testid}
        onChange={(e) => props.onChange((e.currentTarget as HTMLInputElement).checked)}
      />
      <label for={id}>{props.label}</label>
      {props.hint !== undefined && <div class="field-hint" id={`${id}-hint`}>{props.hint}</div>}
      {errs.map((e, i) => (
        <div class="field-error" id={`${id}-err${i}`} key={i}>
          {e}
        </div>
      ))}
    </div>
  );
}
