/**
 * `swanctl --list-sas --raw`: one line per IKE SA, the vici message as
 * `list-sa event {conn-x {uniqueid=1 version=2 state=ESTABLISHED … child-sas {conn-x-3 {name=conn-x uniqueid=3 reqid=1 state=INSTALLED …}}}}`.
 * Only what the VEN reports is read: connection, unique id, IKE state, CHILD SA states.
 * Values may hold spaces (a DN as `local-id`), so this matches the fields it needs rather than
 * tokenising the whole line.
 */
export interface IkeSaInfo {
  readonly conn: string;
  readonly uniqueId: number;
  readonly version: number;
  readonly state: string;
  readonly children: readonly { readonly name: string; readonly state: string }[];
}

export function parseListSas(out: string): IkeSaInfo[] {
  const sas: IkeSaInfo[] = [];
  for (const line of out.split('\n')) {
    const head = /^list-sa event \{([A-Za-z0-9._-]+) \{uniqueid=(\d+) version=(\d) state=([A-Z_]+)/.exec(line);
    if (!head) continue;
    const children: { name: string; state: string }[] = [];
    const at = line.indexOf(' child-sas {');
    if (at !== -1) {
      for (const m of line.slice(at).matchAll(/\{name=([A-Za-z0-9._-]+) uniqueid=\d+ reqid=\d+ state=([A-Z_]+)/g)) children.push({ name: m[1] ?? '', state: m[2] ?? '' });
    }
    sas.push({ conn: head[1] ?? '', uniqueId: Number(head[2]), version: Number(head[3]), state: head[4] ?? '', children });
  }
  return sas;
}
