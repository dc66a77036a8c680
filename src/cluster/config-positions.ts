/**
 * Positions keep document order across shards. They are spaced POSITION_GAP apart so the usual
 * edits touch only the resources they are about: appending takes the next slot, deleting leaves a
 * hole, inserting takes the middle of a gap. Only a reorder (or an exhausted gap) renumbers all.
 */

export const POSITION_GAP = 1024;

/** Positions for `names` in this order, reusing `old` positions while they still fit the order. */
export function assignPositions(names: readonly string[], old: ReadonlyMap<string, number>): number[] {
  return keepPositions(names, old) ?? names.map((_, i) => i * POSITION_GAP);
}

function keepPositions(names: readonly string[], old: ReadonlyMap<string, number>): number[] | undefined {
  const next = nextKept(names, old);
  const out: number[] = [];
  let prev: number | undefined;
  for (let i = 0; i < names.length; i++) {
    const kept = old.get(names[i]!);
    if (kept !== undefined) {
      if (prev !== undefined && kept <= prev) return undefined;
      out.push((prev = kept));
      continue;
    }
    const after = next[i + 1];
    let pos: number;
    if (prev === undefined) pos = (after ?? POSITION_GAP) - POSITION_GAP;
    else if (after === undefined) pos = prev + POSITION_GAP;
    else pos = Math.floor((prev + after) / 2);
    if ((prev !== undefined && pos <= prev) || (after !== undefined && pos >= after)) return undefined;
    out.push((prev = pos));
  }
  return out;
}

/** next[i] = the old position of the first kept name at or after i (one pass from the right). */
function nextKept(names: readonly string[], old: ReadonlyMap<string, number>): (number | undefined)[] {
  const next: (number | undefined)[] = new Array(names.length + 1);
  for (let i = names.length - 1; i >= 0; i--) next[i] = old.get(names[i]!) ?? next[i + 1];
  return next;
}
