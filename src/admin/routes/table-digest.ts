/**
 * A hashing pool's table digest: sha256 over the backends the slots index (in index order) and
 * the slots themselves. Nodes that agree slot for slot show the same digest, so an operator (or
 * the dashboard) compares two tables of 65,537 slots by one short string.
 */
import { createHash } from "node:crypto";

/** Computed once per table: a table is immutable for the life of its snapshot. */
const digests = new WeakMap<Int32Array, string>();

/** `sha256:<hex>` of `table` with the addresses of `backends`, which its slots index. */
export function tableDigest(backends: readonly { address: string }[], table: Int32Array): string {
  let d = digests.get(table);
  if (d === undefined) {
    const h = createHash("sha256");
    h.update(backends.map((b) => b.address).join("\n"));
    h.update("\n\n");
    // Slots as little-endian i32 whatever the host's byte order, so every node hashes the same bytes.
    const bytes = Buffer.alloc(table.length * 4);
    for (let i = 0; i < table.length; i++) bytes.writeInt32LE(table[i]!, i * 4);
    h.update(bytes);
    d = `sha256:${h.digest("hex")}`;
    digests.set(table, d);
  }
  return d;
}
