/**
 * Reading what runs in a real-node cluster from a test: an object as JSON
 * through kubectl, and SQL on a Database's pod through its socket.
 *
 * @module
 */
import type { LocalCluster } from "./cluster.ts";

/** `kubectl <args> -o json`, parsed. */
export async function getJson<T>(cluster: LocalCluster, args: string[]): Promise<T> {
  return JSON.parse(await cluster.kubectl([...args, "-o", "json"])) as T;
}

/**
 * SQL on one pod through its socket, as the application's user `admin` on
 * database `db1` (trust inside the pod); the trimmed, unaligned output.
 */
export async function onPod(cluster: LocalCluster, pod: string, sql: string): Promise<string> {
  return (await cluster.kubectl([
    "exec",
    pod,
    "-c",
    "postgres",
    "--",
    "psql",
    "-U",
    "admin",
    "-d",
    "db1",
    "-XAtqc",
    sql,
  ])).trim();
}
