/**
 * ListenerSet reconciles real TCP listeners on loopback: each bound listener answers every packet
 * with its generation, so a test sees which binding served a connection.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener, TCPSocketListenOptions } from "bun";
import { compileSnapshot, validateConfig, type Snapshot, type SnapshotListener } from "../../../src/config/index.ts";
import { ListenerSet, type BoundListener } from "../../../src/runtime/listeners/listener-set.ts";

const POOLS = [{ name: "app", backends: [{ address: "127.0.0.1:9" }] }];

function snap(listeners: Record<string, unknown>[], revision: number): Snapshot {
  return compileSnapshot(validateConfig({ listeners, pools: POOLS }), revision);
}

const tcp = (extra: Record<string, unknown> = {}) => ({ name: "in", protocol: "tcp", address: "127.0.0.1:0", pool: "app", ...extra });

/** Starts listeners that tag replies "g<N>:"; records what happened, in order. */
class Harness {
  readonly events: string[] = [];
  readonly bound: TCPSocketListener<unknown>[] = [];
  private gen = 0;
  withRetire = true;
  /** Bound listeners show their descriptor, so a successor may take the socket over. */
  withFd = false;

  readonly start = async (l: SnapshotListener, fd?: number): Promise<BoundListener> => {
    const gen = ++this.gen;
    const conns = new Set<Socket<unknown>>();
    if (fd !== undefined) this.events.push(`g${gen} takes the socket over`);
    const listener = Bun.listen<unknown>({
      ...(fd !== undefined ? { fd } : { hostname: l.host, port: l.port }),
      reusePort: true,
      socket: { open: (s: Socket<unknown>) => void conns.add(s), data: (s: Socket<unknown>, d: Buffer) => void s.write(`g${gen}:${d}`), close: (s: Socket<unknown>) => void conns.delete(s) },
    } as unknown as TCPSocketListenOptions<unknown>); // reusePort and fd are missing from bun-types (BUN-NOTES "Sockets")
    this.bound.push(listener);
    this.events.push(`start g${gen}`);
    const b: BoundListener = {
      port: listener.port ?? l.port,
      ...(this.withFd ? { fd: (listener as unknown as { fd: number }).fd } : {}),
      active: () => conns.size,
      stop: async (graceMs) => {
        this.events.push(`stop g${gen} ${graceMs}`);
        listener.stop(graceMs <= 0);
      },
    };
    if (this.withRetire) {
      b.retire = (graceMs) => {
        this.events.push(`retire g${gen} ${graceMs}`);
        listener.stop(false);
      };
    }
    return b;
  };
}

/** Connects to `port`: `ask` sends a message and resolves with the reply; `closed` settles when the peer closes. */
async function client(port: number): Promise<{ ask(msg: string): Promise<string>; end(): void; closed: Promise<void> }> {
  let wake: ((s: string) => void) | null = null;
  let onClose!: () => void;
  const closed = new Promise<void>((r) => (onClose = r));
  const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data: (_s, d) => wake?.(d.toString()), close: () => onClose() } });
  return {
    closed,
    ask: (msg) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("no reply")), 2_000);
        wake = (r) => (clearTimeout(t), resolve(r));
        s.write(msg);
      }),
    end: () => s.end(),
  };
}

let sets: ListenerSet[] = [];
afterEach(async () => {
  await Promise.all(sets.map((s) => s.stopAll(0)));
  sets = [];
});

function newSet(h: Harness, errors: string[] = []): ListenerSet {
  const set = new ListenerSet(h.start, (name, message) => errors.push(`${name}: ${message}`), { handoverGraceMs: 1234, removeGraceMs: 56 });
  sets.push(set);
  return set;
}

describe("ListenerSet", () => {
  test("keeps a listener bound when its binding settings did not change", async () => {
    const h = new Harness();
    const set = newSet(h);
    await set.apply(snap([tcp()], 1));
    await set.apply(snap([tcp()], 2));
    expect(h.events).toEqual(["start g1"]);
  });

  test("rebinds a changed listener on the same port before retiring the old one, whose connections carry on", async () => {
    const h = new Harness();
    const set = newSet(h);
    await set.apply(snap([tcp({ idle_timeout_ms: 1000 })], 1));
    const port = set.port("in")!;
    const before = await client(port);
    expect(await before.ask("x")).toBe("g1:x");

    await set.apply(snap([tcp({ idle_timeout_ms: 2000 })], 2));
    expect(h.events).toEqual(["start g1", "start g2", "retire g1 1234"]);
    expect(set.port("in")).toBe(port);
    expect(h.bound[1]!.port).toBe(port);
    const after = await client(port);
    expect(await after.ask("y")).toBe("g2:y");
    expect(await before.ask("z")).toBe("g1:z"); // the old binding's connection still works
    expect(set.active()).toBe(2); // retiring connections count until they close
    before.end();
    after.end();
  });

  test("a changed listener takes its predecessor's socket over: connections waiting in its queue are served, none reset", async () => {
    const h = new Harness();
    h.withFd = true;
    const set = newSet(h);
    await set.apply(snap([tcp({ idle_timeout_ms: 1000 })], 1));
    const port = set.port("in")!;
    const clients = Bun.spawn([process.execPath, `${import.meta.dir}/queue-clients.ts`, String(port), "30"], { stdout: "pipe", stderr: "inherit" });
    // This thread accepts nothing while it spins: the clients' connections wait in the socket's queue.
    const until = Date.now() + 700;
    while (Date.now() < until) {}
    await set.apply(snap([tcp({ idle_timeout_ms: 2000 })], 2));
    expect(h.events).toEqual(["start g1", "g2 takes the socket over", "start g2", "retire g1 1234"]);
    const replies = JSON.parse(await new Response(clients.stdout).text()) as string[];
    expect(replies.filter((r) => r === "").length).toBe(0);
    expect(replies.some((r) => r === "g2:x")).toBe(true);
  });

  test("stops the predecessor with the handover grace when it cannot retire", async () => {
    const h = new Harness();
    h.withRetire = false;
    const set = newSet(h);
    await set.apply(snap([tcp({ idle_timeout_ms: 1000 })], 1));
    await set.apply(snap([tcp({ idle_timeout_ms: 2000 })], 2));
    expect(h.events).toEqual(["start g1", "start g2", "stop g1 1234"]);
  });

  test("a rebind that fails keeps the old binding serving and reports why", async () => {
    const h = new Harness();
    const errors: string[] = [];
    const set = newSet(h, errors);
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); // no reusePort: not shareable
    try {
      await set.apply(snap([tcp()], 1));
      const port = set.port("in")!;
      await set.apply(snap([tcp({ address: `127.0.0.1:${taken.port}` })], 2));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toStartWith("in: ");
      expect(set.ready()).toBe(true);
      expect(set.states()[0]).toMatchObject({ name: "in", bound: true, address: `127.0.0.1:${port}` });
      expect(set.states()[0]!.error).toBeString();
      const c = await client(port);
      expect(await c.ask("still")).toBe("g1:still");
      c.end();
      await set.apply(snap([tcp()], 3)); // back to what is bound: nothing to do, no error left
      expect(set.states()[0]!.error).toBeUndefined();
      expect(h.events).toEqual(["start g1"]);
    } finally {
      taken.stop(true);
    }
  });

  test("a fresh bind is refused when another socket holds the port, even one with reusePort", async () => {
    const h = new Harness();
    const errors: string[] = [];
    const set = newSet(h, errors);
    const squatter = Bun.listen({ hostname: "127.0.0.1", port: 0, reusePort: true, socket: { data() {} } } as TCPSocketListenOptions<undefined>);
    try {
      await set.apply(snap([tcp({ address: `127.0.0.1:${squatter.port}` })], 1));
      expect(h.events).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(set.ready()).toBe(false);
    } finally {
      squatter.stop(true);
    }
    await set.apply(snap([tcp({ address: `127.0.0.1:${squatter.port}` })], 2)); // free now: binds
    expect(h.events).toEqual(["start g1"]);
  });

  test("a removed listener stops accepting, and stopAll closes what its connections left", async () => {
    const h = new Harness();
    const set = newSet(h);
    await set.apply(snap([tcp()], 1));
    const port = set.port("in")!;
    const held = await client(port);
    await set.apply(snap([], 2));
    expect(h.events).toEqual(["start g1", "stop g1 56"]);
    expect(set.states()).toEqual([]);
    expect(set.active()).toBe(1);
    await expect(client(port)).rejects.toThrow();
    expect(await held.ask("late")).toBe("g1:late");
    await set.stopAll(0);
    expect(h.events.at(-1)).toBe("stop g1 0");
    const late = await Promise.race([held.closed.then(() => "closed"), Bun.sleep(2_000).then(() => "open")]);
    expect(late).toBe("closed");
  });
});
