/**
 * What the control plane itself spends while the system under test works:
 * kube-apiserver's and etcd's own CPU time (from `/proc/<pid>/stat`), the
 * bytes etcd wrote to its write-ahead log (`etcd_disk_wal_write_bytes_total`),
 * and the watches the API server holds open (`apiserver_longrunning_requests`,
 * verb WATCH). Only a local control plane (one the load test started) has
 * processes and an etcd to read; for a given cluster every figure is absent.
 *
 * @module
 */
import type { LocalCluster } from "../../tests/support/cluster.ts";
import { parsePromText } from "../../tests/support/prometheus_text.ts";

/** Linux's USER_HZ: /proc reports CPU times in these ticks (100 on every mainstream build). */
const CLOCK_TICKS_PER_SECOND = 100;

/** One reading of the control plane's cumulative costs. */
export interface ControlPlaneSample {
  /** kube-apiserver's user + system CPU, s. */
  readonly apiserverCpuSeconds?: number;
  /** etcd's user + system CPU, s. */
  readonly etcdCpuSeconds?: number;
  /** Bytes etcd has written to its WAL since it started. */
  readonly etcdWalBytes?: number;
}

/** A process's user + system CPU time in seconds, from `/proc/<pid>/stat`; undefined when gone. */
export async function processCpuSeconds(pid: number): Promise<number | undefined> {
  let stat: string;
  try {
    stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat(5) (utime, stime) are the 12th and 13th after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : undefined;
}

/** `etcd_disk_wal_write_bytes_total` from an etcd `/metrics` exposition. */
export function walWriteBytes(text: string): number | undefined {
  const [sample] = parsePromText(text, (name) => name === "etcd_disk_wal_write_bytes_total");
  return sample?.value;
}

/** Watches the API server holds open, by resource (`apiserver_longrunning_requests{verb="WATCH"}`). */
export function openWatches(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of parsePromText(text, (name) => name === "apiserver_longrunning_requests")) {
    if (s.labels.verb !== "WATCH" || s.value === 0) continue;
    const resource = s.labels.resource || "(none)";
    out[resource] = (out[resource] ?? 0) + s.value;
  }
  return out;
}

/** Reads the local control plane's costs; an empty sample when there is none. */
export async function sampleControlPlane(
  local: LocalCluster | undefined,
): Promise<ControlPlaneSample> {
  if (!local) return {};
  const pid = (name: string) => local.component(name)?.pid;
  const apiserver = pid("kube-apiserver");
  const etcd = pid("etcd");
  let etcdWalBytes: number | undefined;
  try {
    const res = await fetch(`${local.etcdUrl}/metrics`);
    etcdWalBytes = walWriteBytes(await res.text());
  } catch {
    etcdWalBytes = undefined;
  }
  return {
    apiserverCpuSeconds: apiserver === undefined ? undefined : await processCpuSeconds(apiserver),
    etcdCpuSeconds: etcd === undefined ? undefined : await processCpuSeconds(etcd),
    etcdWalBytes,
  };
}

/** `after − before` of every figure both readings have. */
export function costBetween(
  before: ControlPlaneSample,
  after: ControlPlaneSample,
): ControlPlaneSample {
  const d = (k: keyof ControlPlaneSample) =>
    before[k] === undefined || after[k] === undefined
      ? undefined
      : (after[k] as number) - (before[k] as number);
  return {
    apiserverCpuSeconds: d("apiserverCpuSeconds"),
    etcdCpuSeconds: d("etcdCpuSeconds"),
    etcdWalBytes: d("etcdWalBytes"),
  };
}
