/**
 * The `Authorization` header of a kubeconfig user: a static token or basic
 * auth, a token file re-read as it changes, or what a credential plugin (exec,
 * auth provider) gives through `@kubernetes/client-node`, imported only then.
 *
 * @module
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { RequestOptions as HttpsRequestOptions } from "node:https";
import { type Clock, realClock } from "../clock.ts";
import { KubeconfigError } from "./errors.ts";
import { type Entry, firstLine } from "./kubeconfig_file.ts";

/** How long an `Authorization` value from a plugin is reused, bounding file reads and staleness. */
const AUTH_CACHE_MS = 1000;

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value ? value : undefined;

/** Reuses a header for {@link AUTH_CACHE_MS} and shares one lookup among concurrent callers. */
function cached(fetchHeader: () => Promise<string | undefined>, clock: Clock = realClock) {
  let last: { readonly value: string | undefined; readonly at: number } | undefined;
  let inflight: Promise<string | undefined> | undefined;
  return (): Promise<string | undefined> => {
    if (last && clock.now() - last.at < AUTH_CACHE_MS) return Promise.resolve(last.value);
    inflight ??= fetchHeader().then((value) => {
      last = { value, at: clock.now() };
      return value;
    }).finally(() => inflight = undefined);
    return inflight;
  };
}

/** A static token or basic auth, or a token file re-read as it changes (a static token wins). */
export function plainAuth(
  user: Entry,
  where: string,
  clock?: Clock,
): () => Promise<string | undefined> {
  const token = text(user.token);
  const tokenFile = text(user["token-file"]);
  let header: string | undefined;
  if (token) header = `Bearer ${token.trim()}`;
  else if (text(user.username)) {
    header = `Basic ${btoa(`${user.username}:${text(user.password) ?? ""}`)}`;
  }
  if (header || !tokenFile) return () => Promise.resolve(header);
  return cached(async () => {
    try {
      // Token files usually end in a newline, which must not reach the header.
      return `Bearer ${(await Deno.readTextFile(tokenFile)).trim()}`;
    } catch (cause) {
      throw new KubeconfigError(
        `Cannot read token file "${tokenFile}" ${where}: ${firstLine(cause)}`,
        { cause },
      );
    }
  }, clock);
}

/** Headers from client-node's authenticators (exec plugins, auth providers), imported on first use. */
export async function pluginAuth(
  server: string,
  userName: string,
  user: Entry,
  where: string,
  clock?: Clock,
): Promise<() => Promise<string | undefined>> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc: KubeConfig = new KubeConfig();
  try {
    kc.loadFromString(JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server } }],
      users: [{ name: userName || "u", user }],
      contexts: [{ name: "x", context: { cluster: "c", user: userName || "u" } }],
      "current-context": "x",
    }));
  } catch (cause) {
    throw new KubeconfigError(`User "${userName}" ${where} is invalid: ${firstLine(cause)}`, {
      cause,
    });
  }
  return cached(async () => {
    const opts: HttpsRequestOptions = { headers: {} };
    try {
      await kc.applyToHTTPSOptions(opts);
    } catch (cause) {
      throw new KubeconfigError(
        `Cannot get credentials for user "${userName}" ${where}: ${firstLine(cause)}`,
        {
          cause,
        },
      );
    }
    const value = (opts.headers as Record<string, unknown> | undefined)?.["Authorization"];
    if (typeof value === "string") return value.trim();
    return opts.auth ? `Basic ${btoa(opts.auth)}` : undefined;
  }, clock);
}
