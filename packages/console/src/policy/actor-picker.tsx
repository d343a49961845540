/**
 * Picks a rule's consumers or providers: any mix of all workloads, labels, label groups,
 * workloads, IP lists and virtual services. Each pick shows as a removable item.
 */
import { useState } from 'preact/hooks';
import { ACTOR_KIND_TITLES, ACTOR_KINDS, actorHref, actorKind, actorOfPick, describeActor, describeService, parsePort, type ActorKind, type ApiActor, type ApiService } from './actors.ts';
import type { Catalog } from './name-book.ts';

function Picked(props: { items: readonly { key: string; text: string }[]; onRemove: (i: number) => void; testid: string }) {
  if (props.items.length === 0) return <p class="muted">None yet.</p>;
  return (
    <div class="picked" data-testid={`${props.testid}-picked`}>
      {props.items.map((it, i) => (
        <span class="picked-item" key={it.key}>
          {it.text}
          <button type="button" class="icon-button" aria-label={`Remove ${it.text}`} onClick={() => props.onRemove(i)}>
            ×
          </button>
        </span>
      ))}
    </div>
  );
}

export function ActorPicker(props: { value: readonly ApiActor[]; onChange: (v: ApiActor[]) => void; catalog: Catalog; testid: string }) {
  const [kind, setKind] = useState<ActorKind>('label');
  const [href, setHref] = useState('');
  const options = kind === 'ams' ? [] : props.catalog.choices[kind];
  const has = (a: ApiActor): boolean => props.value.some((v) => actorKind(v) === actorKind(a) && actorHref(v) === actorHref(a));
  const add = (): void => {
    const a = actorOfPick(kind, kind === 'ams' ? undefined : href || options[0]?.href);
    if (kind !== 'ams' && !actorHref(a)) return;
    if (!has(a)) props.onChange([...props.value, a]);
  };
  return (
    <div>
      <Picked testid={props.testid} items={props.value.map((a, i) => ({ key: `${actorKind(a) ?? ''}${actorHref(a) ?? ''}${i}`, text: describeActor(a, props.catalog.names).text }))} onRemove={(i) => props.onChange(props.value.filter((_, j) => j !== i))} />
      <div class="picker-row">
        <select
          aria-label="Kind of actor"
          value={kind}
          data-testid={`${props.testid}-kind`}
          onChange={(e) => {
            setKind((e.currentTarget as HTMLSelectElement).value as ActorKind);
            setHref('');
          }}
        >
          {ACTOR_KINDS.map((k) => (
            <option key={k} value={k}>
              {ACTOR_KIND_TITLES[k]}
            </option>
          ))}
        </select>
        {kind !== 'ams' && (
          <select aria-label={ACTOR_KIND_TITLES[kind]} value={href || options[0]?.href} data-testid={`${props.testid}-item`} onChange={(e) => setHref((e.currentTarget as HTMLSelectElement).value)} disabled={options.length === 0}>
            {options.length === 0 && <option value="">(none exist)</option>}
            {options.map((o) => (
              <option key={o.href} value={o.href}>
                {o.text}
              </option>
            ))}
          </select>
        )}
        <button type="button" class="button" data-testid={`${props.testid}-add`} onClick={add} disabled={kind !== 'ams' && options.length === 0}>
          Add
        </button>
      </div>
      {kind === 'workload' && props.catalog.workloadsTruncated && <p class="field-hint">Only the first workloads are offered; name many workloads by label instead.</p>}
    </div>
  );
}

export function ServicePicker(props: { value: readonly ApiService[]; onChange: (v: ApiService[]) => void; catalog: Catalog; testid: string }) {
  const [href, setHref] = useState('');
  const [typed, setTyped] = useState('');
  const [typedError, setTypedError] = useState('');
  const options = props.catalog.choices.services;
  const addNamed = (): void => {
    const h = href || options[0]?.href;
    if (h && !props.value.some((s) => 'href' in s && s.href === h)) props.onChange([...props.value, { href: h }]);
  };
  const addTyped = (): void => {
    const p = parsePort(typed);
    if (!p) {
      setTypedError('Write a port and protocol like 443/tcp, 8000-8080/udp, or a protocol alone (icmp).');
      return;
    }
    setTypedError('');
    setTyped('');
    props.onChange([...props.value, p]);
  };
  return (
    <div>
      <Picked testid={props.testid} items={props.value.map((s, i) => ({ key: `${JSON.stringify(s)}${i}`, text: describeService(s, props.catalog.names) }))} onRemove={(i) => props.onChange(props.value.filter((_, j) => j !== i))} />
      <div class="picker-row">
        <select aria-label="Service" value={href || options[0]?.href} disabled={options.length === 0} data-testid={`${props.testid}-item`} onChange={(e) => setHref((e.currentTarget as HTMLSelectElement).value)}>
          {options.map((o) => (
            <option key={o.href} value={o.href}>
              {o.text}
            </option>
          ))}
        </select>
        <button type="button" class="button" data-testid={`${props.testid}-add`} onClick={addNamed} disabled={options.length === 0}>
          Add
        </button>
        <span class="muted">or</span>
        <input
          aria-label="Port and protocol"
          placeholder="443/tcp"
          value={typed}
          data-testid={`${props.testid}-port`}
          onInput={(e) => setTyped((e.currentTarget as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              addTyped();
            }
          }}
        />
        <button type="button" class="button" data-testid={`${props.testid}-add-port`} onClick={addTyped}>
          Add port
        </button>
      </div>
      {typedError && <div class="field-error">{typedError}</div>}
    </div>
  );
}
