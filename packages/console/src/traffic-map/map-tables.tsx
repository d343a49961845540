/**
 * The map as tables, for screen readers and keyboard users (the canvas is one image to them):
 * the boxes with their nodes, and the edges with their decision and a link to their flows.
 * Rows carry the layout positions (world units: a node's centre, an edge's ends) so browser tests can aim at the
 * canvas. Rendered only when opened: 2,000 rows are not free.
 */
import { useState } from 'preact/hooks';
import type { MapGraph } from './aggregate.ts';
import { DecisionBadge } from './decision-badge.tsx';
import type { MapLayout } from './layout.ts';
import { edgeExplorerHref, type MapContext } from './map-links.ts';

const MAX_ROWS = 500;

export function MapTables(props: { graph: MapGraph; layout: MapLayout; context: MapContext }) {
  const [open, setOpen] = useState(false);
  const { graph: g, layout: L } = props;
  const name = (i: number): string => {
    const n = g.nodes[i];
    return n ? (n.kind === 'group' ? `${n.label} (${n.workloads} workloads)` : n.label) : '';
  };
  return (
    <details class="traffic-map-tables" data-testid="map-tables" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>The map as tables ({g.boxes.length} boxes, {g.nodes.length} nodes, {g.edges.length} connections between them)</summary>
      {open && (
        <>
          <table class="data-table" data-testid="map-nodes-table">
            <caption>Nodes by box</caption>
            <thead>
              <tr>
                <th scope="col">Box</th>
                <th scope="col">Node</th>
              </tr>
            </thead>
            <tbody>
              {g.boxes.flatMap((b) => b.nodes.map((i) => ({ b, i }))).slice(0, MAX_ROWS).map(({ b, i }) => (
                <tr key={i} data-testid="map-node-row" data-node={g.nodes[i]?.id} data-x={L.x[i]} data-y={L.y[i]}>
                  <td>{b.label}</td>
                  <td>{name(i)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table class="data-table" data-testid="map-edges-table">
            <caption>Connections (most severe decision of their flows)</caption>
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Destination</th>
                <th scope="col">Decision</th>
                <th scope="col">Flows</th>
                <th scope="col">Connections</th>
                <th scope="col">Services</th>
                <th scope="col">
                  <span class="visually-hidden">Explorer</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {g.edges.slice(0, MAX_ROWS).map((e) => (
                <tr key={e.id} data-testid="map-edge-row" data-edge={e.id} data-sx={L.x[e.source]} data-sy={L.y[e.source]} data-tx={L.x[e.target]} data-ty={L.y[e.target]}>
                  <td>{name(e.source)}</td>
                  <td>{name(e.target)}</td>
                  <td>
                    <DecisionBadge decision={e.decision} />
                  </td>
                  <td>{e.flows}</td>
                  <td>{e.connections}</td>
                  <td>{e.services.join(', ')}</td>
                  <td>
                    <a href={edgeExplorerHref(g, e, props.context)}>Flows</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {(g.edges.length > MAX_ROWS || g.nodes.length > MAX_ROWS) && <p class="muted">Only the first {MAX_ROWS} rows of each table are listed; switch to the group view or use Explorer to narrow down.</p>}
        </>
      )}
    </details>
  );
}
