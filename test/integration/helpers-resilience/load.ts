/**
 * A bounded load loop: `clients` concurrent loops of GETs against a URL for `durationMs` (and at
 * most `maxRequests` in all), each result kept with its time, status, body and error, so a test
 * can count client-visible failures and see which backend answered when.
 */

export interface Sample {
  /** ms since the run started, when the request was sent. */
  t: number;
  /** ms since the run started, when it finished. */
  end: number;
  status: number;
  body: string;
  error?: string;
}

export interface LoadOptions {
  clients: number;
  durationMs: number;
  maxRequests?: number;
  /** Pause between one client's requests, ms (default 0). */
  pauseMs?: number;
  /** Per-request deadline, ms (default 5000). */
  timeoutMs?: number;
  /** Sends one GET (default fetch: HTTP/1.1); e.g. a codec of helpers/codecs.ts. */
  send?: (url: string, timeoutMs: number) => Promise<Response>;
}

const fetchGet = (url: string, timeoutMs: number) => fetch(url, { signal: AbortSignal.timeout(timeoutMs) });

/** Runs the load; `onStart` receives the run's start (performance.now()) before the first request. */
export async function runLoad(url: string, opts: LoadOptions): Promise<{ samples: Sample[]; startedAt: number }> {
  const samples: Sample[] = [];
  const startedAt = performance.now();
  const max = opts.maxRequests ?? 100_000;
  const loop = async (): Promise<void> => {
    while (performance.now() - startedAt < opts.durationMs && samples.length < max) {
      const t = performance.now() - startedAt;
      try {
        const res = await (opts.send ?? fetchGet)(url, opts.timeoutMs ?? 5000);
        const body = await res.text();
        samples.push({ t, end: performance.now() - startedAt, status: res.status, body });
      } catch (e) {
        samples.push({ t, end: performance.now() - startedAt, status: 0, body: "", error: String(e) });
      }
      if (opts.pauseMs) await Bun.sleep(opts.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, loop));
  return { samples, startedAt };
}

/** Samples that a client would call failures: transport errors and any status other than 200. */
export function failures(samples: readonly Sample[]): Sample[] {
  return samples.filter((s) => s.status !== 200);
}

/** Short text of the first few failures, for assertion messages. */
export function describeFailures(samples: readonly Sample[]): string {
  return failures(samples)
    .slice(0, 5)
    .map((s) => `${s.t.toFixed(0)}ms ${s.status} ${s.error ?? s.body.slice(0, 80)}`)
    .join("; ");
}
