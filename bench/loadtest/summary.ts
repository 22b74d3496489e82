/**
 * The summary table printed at the end of a run, from its report.
 *
 * @module
 */
import { CHILDREN_PER_DATABASE } from "./children_tracker.ts";
import { describeMachine } from "./machine.ts";
import type { LoadtestReport } from "./report.ts";
import type { Summary } from "./stats.ts";

/** A number with `digits` decimals, or "–" when unknown. */
export function num(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);
}

/** Bytes as MB (10^6), or "–". */
export function mb(bytes: number | undefined): string {
  return bytes === undefined ? "–" : `${(bytes / 1e6).toFixed(1)} MB`;
}

function spans(s: Summary | undefined, digits = 2): string {
  return s
    ? `${num(s.p50, digits)} / ${num(s.p90, digits)} / ${num(s.p99, digits)} / ${
      num(s.max, digits)
    } s`
    : "–";
}

function ms(seconds: number | undefined): string {
  return seconds === undefined ? "–" : `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)}`;
}

/** The run's figures as an aligned plain-text table. */
export function formatSummary(r: LoadtestReport): string {
  const rows: [string, string][] = [];
  const row = (label: string, value: string) => rows.push([label, value]);
  const t = r.timing;
  const w = r.work;
  const reqs = r.requests;
  row(
    "all Ready after",
    t.allReadySeconds === undefined
      ? `NOT ALL READY (${r.outcome}; see notReady in report.json)`
      : `${num(t.allReadySeconds, 2)} s  (creation took ${num(t.creationSeconds, 2)} s)`,
  );
  row("throughput", `${num(t.throughput, 2)} Databases/s`);
  row(`time to all ${CHILDREN_PER_DATABASE} children p50/p90/p99/max`, spans(t.timeToChildren, 3));
  row("time to Ready p50/p90/p99/max", spans(t.timeToReady));
  row(
    "time to first reconcile p50/p99",
    t.timeToFirstStatus
      ? `${num(t.timeToFirstStatus.p50, 2)} / ${num(t.timeToFirstStatus.p99, 2)} s`
      : "–",
  );
  row(
    "reconciles",
    `${w.reconciles} (${num(w.reconcilesPerDatabase, 2)} per Database), errors ${w.errors}`,
  );
  if (w.reconcileSeconds) {
    const q = w.reconcileSeconds;
    row(
      "reconcile duration p50/p90/p99",
      `${ms(q.p50)} / ${ms(q.p90)} / ${ms(q.p99)} ms (histogram)`,
    );
  }
  row("peak queue depth", w.peakQueueDepth === undefined ? "–" : String(w.peakQueueDepth));
  const rt = reqs.run.totals;
  row(
    "requests during the run",
    `${rt.writes} writes, ${rt.reads} reads, ${rt.watches} watch opens`,
  );
  row("writes per Database", num(reqs.run.writesPerDatabase, 2));
  for (const [key, n] of Object.entries(reqs.run.byVerbResource).sort()) row(`  ${key}`, String(n));
  const st = reqs.steady.totals;
  row(
    `steady state (${num(reqs.steady.seconds, 0)} s)`,
    `${st.writes} writes, ${st.reads} reads, ${st.watches} watch re-opens, ${reqs.steady.reconciles} reconciles`,
  );
  row("CPU run / steady", `${num(w.cpuSecondsRun, 2)} s / ${num(w.cpuSecondsSteady, 2)} s`);
  row(
    "RSS start / end / peak",
    `${mb(w.rssBytesStart)} / ${mb(w.rssBytesEnd)} / ${mb(w.peakRssBytes)}`,
  );
  if (w.heapUsedBytesEnd !== undefined) row("heap used at end", mb(w.heapUsedBytesEnd));
  if (w.cacheObjects) {
    row("cached objects", Object.entries(w.cacheObjects).map(([k, v]) => `${k} ${v}`).join(", "));
  }
  const cp = r.controlPlane;
  if (cp) {
    row(
      "API server / etcd CPU (run)",
      `${num(cp.apiserverCpuSeconds, 2)} s / ${num(cp.etcdCpuSeconds, 2)} s`,
    );
    row(
      "etcd WAL written (run)",
      `${mb(cp.etcdWalBytes)}, ${
        num((cp.etcdWalBytesPerDatabase ?? NaN) / 1000, 1)
      } kB per Database`,
    );
    row("watches held open", cp.watchesHeld === undefined ? "–" : String(cp.watchesHeld));
  }
  row("relists / watch restarts", `${w.relists ?? "–"} / ${w.watchRestarts ?? "–"}`);
  if (r.shutdown) {
    row(
      "stop took",
      `${num(r.shutdown.seconds, 2)} s${
        r.shutdown.stuck ? " (did NOT stop: killed/abandoned)" : ""
      }`,
    );
  }
  if (r.trackerStopped === false) row("tracker watch", "did NOT end within 5 s of its abort");
  if (r.cleanupSeconds !== undefined) row("cleanup", `${num(r.cleanupSeconds, 1)} s`);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const lines = [
    `${
      r.mode === "floor" ? "floor" : "pgop"
    } load test: ${r.n} Databases, ${r.system}, run ${r.runId}`,
    `machine: ${describeMachine(r.machine)}`,
    `note: ${r.resourceNote}`,
    "",
    ...rows.map(([l, v]) => `  ${l.padEnd(width)}${v}`),
  ];
  for (const d of r.notReady?.slice(0, 5) ?? []) {
    const st = d.statefulSet?.status;
    lines.push(
      `  not Ready: ${d.key} phase ${d.databaseStatus?.phase ?? "–"}; StatefulSet ${
        d.statefulSet
          ? `gen ${d.statefulSet.generation} observed ${st?.observedGeneration} replicas ${st?.replicas} ` +
            `ready ${st?.readyReplicas} updated ${st?.updatedReplicas}`
          : "absent"
      }`,
    );
  }
  if ("comparison" in r.apiserver) {
    lines.push(
      "",
      "  API server cross-check of writes (apiserver_request_total has no user label:",
    );
    lines.push("  other = API server − system − load tool = writes by other clients):");
    lines.push(
      `    ${"".padEnd(26)}${"system".padStart(8)}${"tool".padStart(8)}${"apiserver".padStart(11)}${
        "other".padStart(8)
      }`,
    );
    for (const c of r.apiserver.comparison) {
      const sub = c.subresources
        ? `  (${Object.entries(c.subresources).map(([k, v]) => `/${k} ${v}`).join(", ")})`
        : "";
      lines.push(
        `    ${c.key.padEnd(26)}${String(c.sut).padStart(8)}${String(c.tool).padStart(8)}${
          String(c.apiserver).padStart(11)
        }${String(c.other).padStart(8)}${sub}`,
      );
    }
  } else {
    lines.push("", `  API server cross-check unavailable: ${r.apiserver.error}`);
  }
  lines.push("", "  targets:");
  for (const c of r.targets) {
    const mark = c.met === undefined ? "not measured" : c.met ? "met" : "MISSED";
    lines.push(`    ${c.name} ${c.target}: ${num(c.value, 2)}  ${mark}`);
  }
  if (r.hotFunctions?.length) {
    lines.push("", "  hottest functions (self time, share of busy time; idle excluded):");
    for (const f of r.hotFunctions.slice(0, 10)) {
      lines.push(
        `    ${(f.share * 100).toFixed(1).padStart(5)}%  ${
          num(f.selfMs, 0).padStart(7)
        } ms  ${f.where}`,
      );
    }
  }
  return lines.join("\n");
}
