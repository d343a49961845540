/**
 * Choose workloads by name: type part of a name, pick from the matches (the API's `name`
 * filter, 20 at a time: orgs have thousands). `value` holds hrefs; the chosen ones show as
 * removable chips with their names once known.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { useSession } from '../session.tsx';
import { HrefChips } from './href-chips.tsx';
import { parseWorkload, type WorkloadRef } from '../traffic-map/traffic-model.ts';

const names = new Map<string, string>();

function useWorkloadNames(hrefs: readonly string[]): void {
  const [, setTick] = useState(0);
  const missing = hrefs.filter((h) => !names.has(h)).join(',');
  useEffect(() => {
    if (!missing) return;
    let live = true;
    void Promise.all(
      missing.split(',').map((h) =>
        api.get<unknown>(h).then(
          (w) => names.set(h, parseWorkload(w)?.name ?? h),
          () => names.set(h, h.slice(h.lastIndexOf('/') + 1)),
        ),
      ),
    ).then(() => live && setTick((t) => t + 1));
    return () => {
      live = false;
    };
  }, [missing]);
}

export function WorkloadPicker(props: { label: string; value: readonly string[]; onChange: (hrefs: string[]) => void; testid: string }) {
  const { orgHref } = useSession();
  const [text, setText] = useState('');
  const [matches, setMatches] = useState<WorkloadRef[]>([]);
  useWorkloadNames(props.value);
  useEffect(() => {
    const t = text.trim();
    if (t.length < 1) {
      setMatches([]);
      return undefined;
    }
    let live = true;
    const timer = setTimeout(() => {
      api.list<unknown>(`${orgHref}/workloads`, { name: t, max_results: 20 }).then(
        (r) => live && setMatches(r.items.flatMap((x) => parseWorkload(x) ?? [])),
        () => live && setMatches([]),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [text, orgHref]);
  const chosen = new Set(props.value);
  return (
    <div class="field workload-picker" data-testid={props.testid}>
      <label>
        {props.label}
        <input type="search" value={text} placeholder="Type a workload name" data-testid={`${props.testid}-search`} onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} />
      </label>
      {matches.length > 0 && (
        <ul class="workload-matches" aria-label="Matching workloads">
          {matches
            .filter((m) => !chosen.has(m.href))
            .map((m) => (
              <li key={m.href}>
                <button
                  type="button"
                  class="link-button"
                  onClick={() => {
                    names.set(m.href, m.name);
                    props.onChange([...props.value, m.href]);
                    setText('');
                  }}
                >
                  {m.name}
                </button>
              </li>
            ))}
        </ul>
      )}
      <HrefChips value={props.value} nameOf={(h) => names.get(h)} onChange={props.onChange} />
    </div>
  );
}
