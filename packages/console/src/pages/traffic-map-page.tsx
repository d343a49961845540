/**
 * Traffic map: who talks to whom, grouped by app and env, edges in the colour and line pattern
 * of their policy decision. Click an edge for its flows in Explorer, a node for its details and
 * flows in either direction. Its state (view, time range, decisions shown) is in the URL.
 */
import { useMemo, useState } from 'preact/hooks';
import { ErrorList } from '../components/error-list.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { SelectField } from '../components/field.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Progress } from '../components/progress.tsx';
import { DECISIONS, DECISION_STYLES, type PolicyDecision } from '../decision-palette.ts';
import { DEFAULT_FILTERS, TIME_RANGES, filtersFromQuery, toQueryBody, type TimeRange } from '../explorer/explorer-filters.ts';
import type { QueryProgress } from '../explorer/traffic-query.ts';
import type { PageProps } from '../page.ts';
import { link, navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { aggregate, defaultView, type MapGraph, type MapView } from '../traffic-map/aggregate.ts';
import { DecisionBadge } from '../traffic-map/decision-badge.tsx';
import { MapCanvas } from '../traffic-map/map-canvas.tsx';
import { MapLegend } from '../traffic-map/map-legend.tsx';
import { edgeExplorerHref, nodeExplorerHref, type MapContext } from '../traffic-map/map-links.ts';
import { buildScene } from '../traffic-map/map-scene.ts';
import { MapTables } from '../traffic-map/map-tables.tsx';
import type { Hit } from '../traffic-map/spatial-index.ts';
import { useTrafficData } from '../traffic-map/use-traffic-data.ts';
import '../traffic-map/traffic-map.css';

/** Flows one map loads by default (`?max=` up to 100,000). */
const DEFAULT_MAP_FLOWS = 20_000;

const PHASES: Readonly<Record<QueryProgress['phase'], string>> = {
  starting: 'Starting the traffic query',
  queued: 'Traffic query queued on the PCE',
  working: 'The PCE is collecting the flows',
  downloading: 'Downloading the flows',
  completed: 'Drawing the map',
};

function NodeDetails(props: { graph: MapGraph; index: number; context: MapContext }) {
  const n = props.graph.nodes[props.index];
  if (!n) return null;
  let out = 0;
  let inbound = 0;
  for (const e of props.graph.edges) {
    if (e.source === props.index) out++;
    if (e.target === props.index) inbound++;
  }
  return (
    <section class="traffic-map-selection" data-testid="map-selection" aria-live="polite">
      <h2>{n.label}</h2>
      <div class="muted">
        {n.kind === 'group' ? `${n.workloads} workload${n.workloads === 1 ? '' : 's'}` : n.kind === 'workload' ? 'Workload' : n.kind === 'ip' ? 'IP address (not a workload)' : `${n.ips.length} IP addresses (not workloads)`}
        {` · talks to ${out}, talked to by ${inbound}`}
      </div>
      <ul>
        <li>
          <a href={nodeExplorerHref(n, 'both', props.context)} data-testid="map-flows-both">
            All its flows
          </a>
        </li>
        <li>
          <a href={nodeExplorerHref(n, 'from', props.context)} data-testid="map-flows-from">
            Flows from here
          </a>
        </li>
        <li>
          <a href={nodeExplorerHref(n, 'to', props.context)} data-testid="map-flows-to">
            Flows to here
          </a>
        </li>
        {n.href !== undefined && (
          <li>
            <a href={link(`/workloads/${n.href.slice(n.href.lastIndexOf('/') + 1)}`)}>Open the workload</a>
          </li>
        )}
      </ul>
    </section>
  );
}

function Tooltip(props: { graph: MapGraph; hit: Hit }) {
  const g = props.graph;
  if (props.hit.kind === 'node') {
    const n = g.nodes[props.hit.index];
    if (!n) return null;
    return (
      <div>
        <strong>{n.label}</strong>
        <div>{n.kind === 'group' ? `${n.workloads} workloads` : n.kind === 'workload' ? n.labels.map((l) => `${l.key}=${l.value}`).join(' ') || 'no labels' : n.kind === 'ip' ? 'not a workload' : `${n.ips.length} addresses`}</div>
        <div>Click for details and flows</div>
      </div>
    );
  }
  const e = g.edges[props.hit.index];
  if (!e) return null;
  return (
    <div>
      <strong>
        {g.nodes[e.source]?.label} → {g.nodes[e.target]?.label}
      </strong>
      <div>
        <DecisionBadge decision={e.decision} />
      </div>
      <div>
        {e.flows} flow{e.flows === 1 ? '' : 's'}, {e.connections} connection{e.connections === 1 ? '' : 's'}
        {DECISIONS.filter((d) => e.byDecision[d] > 0 && d !== e.decision).map((d) => ` · ${e.byDecision[d]} ${DECISION_STYLES[d].label.toLowerCase()}`)}
      </div>
      <div>{e.services.join(', ')}</div>
      <div>Click to open these flows in Explorer</div>
    </div>
  );
}

export function TrafficMapPage(props: PageProps) {
  const { orgHref } = useSession();
  const q = props.query;
  const range = filtersFromQuery(q).range;
  const maxParam = Number(q.get('max') ?? '');
  const maxFlows = Number.isInteger(maxParam) && maxParam > 0 ? Math.min(maxParam, 100_000) : DEFAULT_MAP_FLOWS;
  const decisionsParam = q.get('dec');
  const visible: PolicyDecision[] = decisionsParam === null ? [...DECISIONS] : DECISIONS.filter((d) => decisionsParam.split(',').includes(d));
  const [tick, setTick] = useState(0);
  const [selected, setSelected] = useState<number | undefined>(undefined);

  const setParam = (changes: Record<string, string | undefined>): void => {
    const next: Record<string, string | undefined> = Object.fromEntries(q.entries());
    Object.assign(next, changes);
    navigate(link('/traffic-map', next).slice(1));
  };

  // The body's start_date is "now minus the range" when asked (tick), not on every render.
  const body = useMemo(() => toQueryBody({ ...DEFAULT_FILTERS, range, max: maxFlows }, () => undefined, Date.now(), 'traffic map').body, [range, maxFlows, tick]);
  const state = useTrafficData(orgHref, body, maxFlows, tick);
  const data = state.data;
  const viewParam = q.get('view');
  const view: MapView = viewParam === 'workloads' || viewParam === 'groups' ? viewParam : defaultView(data?.workloads.length ?? 0);
  const visibleKey = visible.join(',');
  const graph = useMemo(() => (data ? aggregate(data.flows, data.workloads, { view, decisions: visible }) : undefined), [data, view, visibleKey]);
  const scene = useMemo(() => (graph ? buildScene(graph) : undefined), [graph]);
  const context: MapContext = { range, decisions: visible.length === DECISIONS.length ? [] : visible };

  const activate = (hit: Hit): void => {
    if (!graph) return;
    if (hit.kind === 'node') {
      setSelected(hit.index);
      return;
    }
    const e = graph.edges[hit.index];
    if (e) window.location.hash = edgeExplorerHref(graph, e, context);
  };

  const header = (
    <PageHeader
      title="Traffic map"
      subtitle={
        graph && data ? (
          <span data-testid="map-summary" data-nodes={graph.nodes.length} data-edges={graph.edges.length} data-flows={graph.flows}>
            {graph.nodes.length} {view === 'groups' ? 'groups and address nodes' : 'nodes'}, {graph.edges.length} connections from {graph.flows} flows
            {data.truncated && ` (the first ${maxFlows.toLocaleString()} flows: narrow the time range or open Explorer)`}
          </span>
        ) : (
          'Workloads grouped by app and environment; lines coloured and patterned by policy decision.'
        )
      }
    >
      <a class="button" href={link('/explorer', { range: range === DEFAULT_FILTERS.range ? undefined : range, run: '1' })}>
        Open Explorer
      </a>
      <button type="button" class="button" data-testid="map-refresh" disabled={state.loading} onClick={() => setTick((t) => t + 1)}>
        Refresh
      </button>
    </PageHeader>
  );

  const toolbar = (
    <div class="traffic-map-toolbar">
      <div class="field">
        <span id="map-view-label">Show</span>
        <div class="view-switch" role="group" aria-labelledby="map-view-label">
          {(['workloads', 'groups'] as const).map((v) => (
            <button key={v} type="button" aria-pressed={view === v} data-testid={`map-view-${v}`} onClick={() => (setSelected(undefined), setParam({ view: v }))}>
              {v === 'workloads' ? 'Workloads' : 'App | env groups'}
            </button>
          ))}
        </div>
      </div>
      <SelectField label="Time range" name="range" testid="map-range" value={range} options={TIME_RANGES.filter((r) => r.value !== 'custom')} onChange={(v) => setParam({ range: v as TimeRange })} />
    </div>
  );

  if (state.error !== undefined && !data) {
    return (
      <div>
        {header}
        <ErrorList error={state.error} />
        <button type="button" class="button" onClick={() => setTick((t) => t + 1)}>
          Try again
        </button>
      </div>
    );
  }
  if (!data || !graph || !scene) {
    return (
      <div>
        {header}
        {toolbar}
        <Progress label={state.progress ? `${PHASES[state.progress.phase]}… ${(state.progress.elapsed / 1000).toFixed(1)} s` : 'Loading workloads and flows…'} testid="map-progress" />
      </div>
    );
  }
  if (data.workloads.length === 0 && data.flows.length === 0) {
    return (
      <div>
        {header}
        {toolbar}
        <EmptyState title="Nothing to map yet" action={<a class="button button-primary" href={link('/pairing-profiles')}>Pairing profiles</a>}>
          Pair workloads with a VEN (create a pairing profile, then run its install command on a host). Their flows appear here once the agents report them.
        </EmptyState>
      </div>
    );
  }
  return (
    <div>
      {header}
      {toolbar}
      {state.loading && <Progress label={state.progress ? `${PHASES[state.progress.phase]}…` : 'Refreshing…'} testid="map-progress" />}
      <ErrorList error={state.error} />
      {data.flows.length === 0 && (
        <p class="muted" data-testid="map-no-flows">
          No flows in this time range. Agents report flows at visibility level "flow summary" or above; choose a longer range or check the workloads' visibility level.
        </p>
      )}
      <div class="traffic-map-body">
        <MapCanvas
          scene={scene}
          label={`Traffic map: ${graph.nodes.length} nodes in ${graph.boxes.length} boxes, ${graph.edges.length} connections`}
          tooltip={(hit) => <Tooltip graph={graph} hit={hit} />}
          onActivate={activate}
        />
        <div class="traffic-map-side">
          <MapLegend graph={graph} visible={visible} onChange={(v) => setParam({ dec: v.length === DECISIONS.length ? undefined : v.join(',') || 'none' })} />
          {selected !== undefined && selected < graph.nodes.length ? (
            <NodeDetails graph={graph} index={selected} context={context} />
          ) : (
            <p class="muted">Drag to pan, scroll or use +/− to zoom. Hover for details; click a line for its flows, a node for its details.</p>
          )}
        </div>
      </div>
      <MapTables graph={graph} layout={scene.layout} context={context} />
    </div>
  );
}
