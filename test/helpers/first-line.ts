/**
 * The first line a child process prints on stdout, parsed as JSON: how helper processes (relays,
 * the health-check flock) announce their ports. Bounded in time; throws with what it got so far.
 */
export async function readFirstJsonLine<T>(stdout: ReadableStream<Uint8Array>, timeoutMs = 10_000): Promise<T> {
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!text.includes("\n") && Date.now() < deadline) {
      const timeout = new Promise<{ done: true; value: undefined }>((r) => setTimeout(() => r({ done: true, value: undefined }), Math.max(0, deadline - Date.now())));
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  const nl = text.indexOf("\n");
  if (nl < 0) throw new Error(`the child printed no complete line within ${timeoutMs} ms (got ${JSON.stringify(text.slice(0, 200))})`);
  return JSON.parse(text.slice(0, nl)) as T;
}
