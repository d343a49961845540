/**
 * Everything a rule can name, loaded once per page: labels, label groups, workloads, IP lists,
 * services, virtual services (draft). Gives the NameBook for display and the option lists for
 * the actor and service pickers.
 */
import { api } from '../api/client.ts';
import { useFetch } from '../components/use-fetch.ts';
import { useSession } from '../session.tsx';
import type { ActorKind, NameBook } from './actors.ts';

export interface Choice {
  readonly href: string;
  readonly text: string;
}

export interface Catalog {
  readonly names: NameBook;
  /** Picker options per actor kind (not `ams`), and services. */
  readonly choices: Readonly<Record<Exclude<ActorKind, 'ams'>, readonly Choice[]>> & { readonly services: readonly Choice[] };
  /** Workloads beyond this many are not offered in the picker (search by label instead). */
  readonly workloadsTruncated: boolean;
}

const WORKLOAD_PICKER_LIMIT = 1000;

interface Named {
  readonly href: string;
  readonly name?: string | null;
  readonly hostname?: string | null;
  readonly key?: string;
  readonly value?: string;
}

async function loadCatalog(orgHref: string): Promise<Catalog> {
  const draft = `${orgHref}/sec_policy/draft`;
  const many = { max_results: 10000 };
  const [labels, groups, workloads, ipLists, services, vss] = await Promise.all([
    api.list<Named>(`${orgHref}/labels`, many),
    api.list<Named>(`${draft}/label_groups`, many),
    api.list<Named>(`${orgHref}/workloads`, { max_results: WORKLOAD_PICKER_LIMIT }),
    api.list<Named>(`${draft}/ip_lists`, many),
    api.list<Named>(`${draft}/services`, many),
    api.list<Named>(`${draft}/virtual_services`, many),
  ]);
  const text = (o: Named): string => (o.key !== undefined && o.value !== undefined ? `${o.key}=${o.value}` : (o.name ?? o.hostname ?? o.href));
  const choices = (l: { items: Named[] }): Choice[] => l.items.map((o) => ({ href: o.href, text: text(o) })).sort((a, b) => a.text.localeCompare(b.text));
  const groupText = (o: Named): string => `${o.name ?? o.href}${o.key ? ` (${o.key})` : ''}`;
  const all = {
    label: choices(labels),
    label_group: groups.items.map((o) => ({ href: o.href, text: groupText(o) })),
    workload: choices(workloads),
    ip_list: choices(ipLists),
    virtual_service: choices(vss),
    services: choices(services),
  };
  const names = new Map<string, string>();
  for (const list of Object.values(all)) for (const c of list) names.set(c.href, c.text);
  return { names, choices: all, workloadsTruncated: workloads.total > workloads.items.length };
}

export function useCatalog(): { catalog: Catalog | undefined; error: unknown; loading: boolean; reload(): void } {
  const { orgHref } = useSession();
  const f = useFetch(() => loadCatalog(orgHref), [orgHref]);
  return { catalog: f.data, error: f.error, loading: f.loading, reload: f.reload };
}
