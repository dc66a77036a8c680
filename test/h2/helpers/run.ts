/** Runs an external client (curl, nghttp, h2load, h2spec) bounded in time; its exit code and output. */
export async function run(cmd: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill(), timeoutMs);
  try {
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
    if (p.exitCode === null) p.kill();
  }
}
