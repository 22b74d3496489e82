/**
 * A GET over HTTPS that does not verify the server's certificate, as a
 * Prometheus with `insecure_skip_verify` scrapes a self-signed endpoint.
 * `fetch` has no such switch; node:https does.
 *
 * @module
 */
import https from "node:https";

/** GETs `url` (https) with `headers`, skipping certificate verification; at most `timeoutMs`. */
export function insecureGet(
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { headers, rejectUnauthorized: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on("error", reject);
  });
}
