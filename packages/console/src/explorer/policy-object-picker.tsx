/**
 * Choose active label groups or IP lists for an Explorer side (orgs have tens to hundreds of
 * them, so a list to pick from, not a search). `value` holds hrefs of the active version.
 */
import { api } from '../api/client.ts';
import { useFetch } from '../components/use-fetch.ts';
import { useSession } from '../session.tsx';
import { HrefChips } from './href-chips.tsx';

interface Named {
  readonly href: string;
  readonly name: string;
}

export function PolicyObjectPicker(props: { label: string; type: 'label_groups' | 'ip_lists'; value: readonly string[]; onChange: (hrefs: string[]) => void; testid: string }) {
  const { orgHref } = useSession();
  const objects = useFetch(() => api.list<Named>(`${orgHref}/sec_policy/active/${props.type}`, { max_results: 10000 }), [orgHref, props.type]);
  const all = objects.data?.items ?? [];
  const names = new Map(all.map((o) => [o.href, o.name]));
  const chosen = new Set(props.value);
  const left = all.filter((o) => !chosen.has(o.href)).sort((a, b) => a.name.localeCompare(b.name));
  const what = props.type === 'ip_lists' ? 'IP list' : 'label group';
  return (
    <div class="field" data-testid={props.testid}>
      <label>
        {props.label}
        <select
          data-testid={`${props.testid}-add`}
          value=""
          disabled={left.length === 0}
          onChange={(e) => {
            const href = (e.currentTarget as HTMLSelectElement).value;
            if (href) props.onChange([...props.value, href]);
          }}
        >
          <option value="">{objects.loading ? 'Loading…' : left.length === 0 ? `No ${what}s${all.length > 0 ? ' left' : ' provisioned'}` : `Add a ${what}…`}</option>
          {left.map((o) => (
            <option key={o.href} value={o.href}>
              {o.name}
            </option>
          ))}
        </select>
      </label>
      <HrefChips value={props.value} nameOf={(h) => names.get(h)} onChange={props.onChange} />
    </div>
  );
}
