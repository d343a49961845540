/**
 * The rules of a rule set, one row per rule, with a SecureConnect column, and the rule's
 * errors and warnings in a row right under it (not only in a toast).
 */
import type { ComponentChildren } from 'preact';
import type { ActorView } from './actors.ts';
import { NoteList } from './rule-note-list.tsx';
import type { RuleRow } from './rule-rows.ts';

function Actors(props: { actors: readonly ActorView[] }) {
  return (
    <span class="actor-list">
      {props.actors.map((a, i) => (
        <span key={i} class={`actor actor-${a.kind}`}>
          {a.text}
        </span>
      ))}
    </span>
  );
}

/** A padlock drawn inline: emoji fonts are not on every machine (headless Chromium has none). */
export function LockIcon() {
  return (
    <svg class="lock-icon" width="11" height="12" viewBox="0 0 11 12" aria-hidden="true" focusable="false">
      <path d="M2.5 5V3.5a3 3 0 0 1 6 0V5" fill="none" stroke="currentColor" stroke-width="1.5" />
      <rect x="0.75" y="5" width="9.5" height="6.5" rx="1.2" fill="currentColor" />
    </svg>
  );
}

export function SecureConnectBadge(props: { on: boolean }) {
  return props.on ? (
    <span class="sc-badge" data-testid="sc-on" title="SecureConnect: IPsec between every workload pair this rule covers">
      <LockIcon /> SecureConnect
    </span>
  ) : (
    <span class="sc-off" data-testid="sc-off">
      <span class="visually-hidden">No SecureConnect</span>
      <span aria-hidden="true">—</span>
    </span>
  );
}

const COLUMNS = ['#', 'Type', 'Consumers', 'Providers', 'Services', 'SecureConnect', 'Enabled', 'Extra-scope'];

export function RulesTable(props: { rows: readonly RuleRow[]; actions?: (row: RuleRow) => ComponentChildren }) {
  const cols = props.actions ? [...COLUMNS, ''] : COLUMNS;
  return (
    <div class="table-wrap">
      <table class="data-table" data-testid="rules-table">
        <caption class="visually-hidden">Rules</caption>
        <thead>
          <tr>
            {cols.map((c, i) => (
              <th scope="col" key={i}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.flatMap((r) => {
            const main = (
              <tr key={r.href} data-testid={`rule-${r.id}`} data-rule-href={r.href} class={r.enabled ? '' : 'rule-disabled'}>
                <td>{r.id}</td>
                <td>
                  <span class={`rule-type rule-type-${r.type}`}>{r.type === 'allow' ? 'Allow' : 'Deny'}</span>
                </td>
                <td>
                  <Actors actors={r.consumers} />
                </td>
                <td>
                  <Actors actors={r.providers} />
                </td>
                <td>{r.services.join(', ')}</td>
                <td>{r.type === 'allow' ? <SecureConnectBadge on={r.secConnect} /> : <span class="muted">n/a</span>}</td>
                <td>{r.enabled ? 'yes' : 'no'}</td>
                <td>{r.type === 'allow' ? (r.extraScope ? 'yes' : 'no') : <span class="muted">n/a</span>}</td>
                {props.actions && <td class="row-actions">{props.actions(r)}</td>}
              </tr>
            );
            if (r.notes.length === 0) return [main];
            return [
              main,
              <tr key={`${r.href}-notes`} class="rule-notes" data-testid={`rule-${r.id}-notes`}>
                <td />
                <td colSpan={cols.length - 1}>
                  <NoteList notes={r.notes} testid={`rule-${r.id}-note-list`} />
                </td>
              </tr>,
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}
