/**
 * A running node's local control socket: a unix socket only its own user can open (mode 0600, in
 * $XDG_RUNTIME_DIR or the temp folder, named after the pid), through which `fulcrum upgrade`
 * asks it to start a new binary. Local on purpose: running a program is not something the
 * admin API, reachable over the network, should be able to ask for. One request a connection: a
 * JSON line in, a JSON line out.
 */
import { chmodSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where the node with `pid` listens. */
export function controlSocketPath(pid: number): string {
  return join(process.env.XDG_RUNTIME_DIR ?? tmpdir(), `fulcrum-${pid}.sock`);
}

/**
 * A request: an upgrade, to `binary` (default: the binary this node runs); or, from the new node
 * of an upgrade, that it serves (an IPC message says the same; this way survives the new node
 * re-executing itself, which an IPC channel may not).
 */
export type ControlRequest = { upgrade: { binary?: string } } | { ready: { pid: number; version: string } };

/** Serves requests at `path` until the returned stop is called (which removes the file; a request being answered still gets its answer). */
export function serveControl(path: string, handle: (req: ControlRequest) => Promise<unknown>): () => void {
  rmSync(path, { force: true });
  const listener = Bun.listen<{ buf: string }>({
    unix: path,
    socket: {
      open(s) {
        s.data = { buf: "" };
      },
      data(s, d) {
        s.data.buf += d.toString();
        const nl = s.data.buf.indexOf("\n");
        if (nl < 0) return;
        const line = s.data.buf.slice(0, nl);
        let req: ControlRequest;
        try {
          req = JSON.parse(line) as ControlRequest;
        } catch {
          return void s.end(`${JSON.stringify({ ok: false, error: "not a JSON request" })}\n`);
        }
        void handle(req).then(
          (res) => s.end(`${JSON.stringify(res)}\n`),
          (e: unknown) => s.end(`${JSON.stringify({ ok: false, error: (e as Error)?.message ?? String(e) })}\n`),
        );
      },
    },
  });
  chmodSync(path, 0o600);
  return () => {
    listener.stop(false);
    rmSync(path, { force: true });
  };
}

/** Sends `req` to the node listening at `path`; resolves to its answer (rejects when nothing listens or no answer comes within `timeoutMs`). */
export async function askControl(path: string, req: ControlRequest, timeoutMs: number): Promise<unknown> {
  let answer = "";
  let done!: (s: string) => void;
  let fail!: (e: Error) => void;
  const got = new Promise<string>((res, rej) => ((done = res), (fail = rej)));
  const timer = setTimeout(() => fail(new Error(`no answer from ${path} within ${timeoutMs} ms`)), timeoutMs);
  try {
    await Bun.connect({
      unix: path,
      socket: {
        open: (s) => void s.write(`${JSON.stringify(req)}\n`),
        data: (_s, d) => void (answer += d.toString()),
        close: () => done(answer),
        error: (_s, e) => fail(e),
      },
    });
    const text = await got;
    return JSON.parse(text.trim());
  } finally {
    clearTimeout(timer);
  }
}
