/**
 * How many elements a script loads into each named set: the half of "what the kernel holds"
 * that needs no read-back. nft applies a file as one transaction, so once `nft -f` exits 0
 * every element of the script is in the kernel; counting them here and comparing with the
 * plan lets the per-apply verify skip listing the elements (nft 1.0.6 fetches all of them
 * for any listing of a table: ~0.3 s for 50k). The element read-back is the deep check's job.
 *
 * Understands what `@palisade/render` writes: `set NAME {` … `elements = { … }` in a full
 * replace, `flush set inet T NAME` and `add element inet T NAME { … }` in a set delta.
 * Elements are counted by their commas, so one per line or all on one line count the same.
 */

/** Set name → element count after the script; sets the script does not touch are absent. */
export function countScriptElements(script: string): Map<string, number> {
  const counts = new Map<string, number>();
  let set: string | undefined; // the set whose `set NAME {` block we are in
  let into: string | undefined; // the set whose elements are being read
  let pending = ''; // element text of the current block, up to its `}`
  const finish = (name: string, text: string): void => {
    let n = 0;
    for (const part of text.split(',')) if (part.trim() !== '') n++;
    counts.set(name, (counts.get(name) ?? 0) + n);
  };
  for (const raw of script.split('\n')) {
    const line = raw.trim();
    if (into !== undefined) {
      const close = line.indexOf('}');
      if (close === -1) {
        // One element per line in what the renderer writes: count as we go, no big string.
        pending += line.endsWith(',') ? line : `${line},`;
        if (pending.length > 4096) {
          finish(into, pending);
          pending = '';
        }
        continue;
      }
      finish(into, pending + line.slice(0, close));
      pending = '';
      into = undefined;
      continue;
    }
    let m = /^set (\S+) \{$/.exec(line);
    if (m?.[1] !== undefined) {
      set = m[1];
      counts.set(set, 0);
      continue;
    }
    m = /^flush set inet \S+ (\S+)$/.exec(line);
    if (m?.[1] !== undefined) {
      counts.set(m[1], 0);
      continue;
    }
    m = /^add element inet \S+ (\S+) \{(.*)$/.exec(line);
    const open = m?.[1] !== undefined ? { name: m[1], rest: m[2] ?? '' } : set !== undefined && line.startsWith('elements = {') ? { name: set, rest: line.slice('elements = {'.length) } : undefined;
    if (open) {
      const close = open.rest.indexOf('}');
      if (close === -1) {
        into = open.name;
        pending = open.rest;
      } else finish(open.name, open.rest.slice(0, close));
      continue;
    }
    if (line === '}') set = undefined;
  }
  return counts;
}
