/**
 * How many elements a script loads into each named set: the half of "what the kernel holds"
 * that needs no read-back. nft applies a file as one transaction, so once `nft -f` exits 0
 * every element of the script is in the kernel; counting them here and comparing with the
 * plan lets the per-apply verify skip listing the elements (nft 1.0.6 fetches all of them
 * for any listing of a table: ~0.3 s for 50k). The element read-back is the deep check's job.
 *
 * Understands what `@palisade/render` writes: `set NAME {` … `elements = { … }` in a full
 * replace, `flush set inet T NAME`, `delete element inet T NAME { … }` and `add element inet
 * T NAME { … }` in a set delta. Elements are counted by their commas, so one per line or all
 * on one line count the same. A delete counts down: nft refuses the whole script when one of
 * its elements is not there. An add of an element already there would count one too many;
 * the renderer adds only elements the applied plan did not have.
 */

/** A line that opens elements of a set, or empties one. */
const OPENER = /^[ \t]*(?:set (\S+) \{|(elements) = \{|(add|delete) element inet \S+ (\S+) \{|flush set inet \S+ (\S+)[ \t]*$)/gm;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Comma-separated items between `from` and `to` that are not blank. */
function countItems(text: string, from: number, to: number): number {
  let n = 0;
  let start = from;
  for (;;) {
    const comma = text.indexOf(',', start);
    const end = comma === -1 || comma > to ? to : comma;
    for (let i = start; i < end; i++) {
      if (!isSpace(text.charCodeAt(i))) {
        n++;
        break;
      }
    }
    if (end === to) return n;
    start = end + 1;
  }
}

/**
 * Set name → element count after the script, starting from `before` (what a set delta is
 * applied onto); sets neither touch are absent.
 */
export function countScriptElements(script: string, before: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const counts = new Map<string, number>(before);
  let set: string | undefined; // the set of the last `set NAME {`: an `elements = {` belongs to it
  OPENER.lastIndex = 0;
  for (let m = OPENER.exec(script); m !== null; m = OPENER.exec(script)) {
    const [, declared, elements, verb, changed, flushed] = m;
    if (declared !== undefined) {
      set = declared;
      counts.set(set, 0);
      continue;
    }
    if (flushed !== undefined) {
      counts.set(flushed, 0);
      continue;
    }
    const into = changed ?? (elements !== undefined ? set : undefined);
    if (into === undefined) continue;
    // Elements hold no braces: the block ends at the next `}`.
    const from = m.index + m[0].length;
    const close = script.indexOf('}', from);
    const to = close === -1 ? script.length : close;
    const n = countItems(script, from, to);
    counts.set(into, (counts.get(into) ?? 0) + (verb === 'delete' ? -n : n));
    OPENER.lastIndex = to;
  }
  return counts;
}
