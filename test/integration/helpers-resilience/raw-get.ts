/**
 * One HTTP/1.1 GET over a fresh TCP connection from a chosen loopback source address
 * (127.0.0.2, 127.0.0.3, ...), so a test can be several clients to a per-address limiter.
 */
import net from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `GET path` to 127.0.0.1:`port` from `localAddress`; resolves when the server closes or after `timeoutMs`. */
export function rawGet(port: number, path: string, localAddress = "127.0.0.1", timeoutMs = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect({ host: "127.0.0.1", port, localAddress });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete response from ${localAddress} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on("connect", () => sock.write(`GET ${path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n`));
    sock.on("data", (d: Buffer) => chunks.push(d));
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) return reject(new Error(`incomplete response: ${JSON.stringify(text.slice(0, 200))}`));
      const [statusLine, ...lines] = text.slice(0, split).split("\r\n");
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(":");
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine!.split(" ")[1]), headers, body: text.slice(split + 4) });
    });
  });
}
