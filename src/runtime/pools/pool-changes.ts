/**
 * Which pools a pool table changed from the one before it, when whoever built it knows (a worker's
 * SnapshotBuilder: one edited pool of a thousand), so the PoolRegistry visits those pools instead
 * of all of them (a walk of a thousand pools, and an array of them, per revision). One note is kept
 * per thread, the latest, and it names both tables: a table the registry did not apply just before
 * (another derivation in between, a DNS overlay's copy, a compile from scratch) matches no note,
 * and the registry walks everything, as it always did. Only the latest: notes kept per table would
 * each hold the table before, a chain that keeps every revision's table alive.
 */
import type { SnapshotPool } from "../../config/index.ts";

type PoolTable = Readonly<Record<string, SnapshotPool>>;

let note: { table: PoolTable; from: PoolTable; changed: ReadonlySet<string> } | undefined;

/**
 * Records that `table` equals `from` but for the pools named in `changed` (new, replaced or
 * removed): every pool not named is the very object `from` holds. Call when `table` is built.
 */
export function notePoolChanges(table: PoolTable, from: PoolTable, changed: ReadonlySet<string>): void {
  note = { table, from, changed };
}

/** The pools `table` changed from `from`, or undefined when the latest note is not about them (then anything may differ). */
export function poolChangesFrom(table: PoolTable, from: PoolTable | undefined): ReadonlySet<string> | undefined {
  return note !== undefined && note.table === table && note.from === from ? note.changed : undefined;
}
