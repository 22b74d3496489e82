/**
 * A runner killed with SIGKILL while its cluster has a real node and a running
 * pod leaves host state behind; the reaper (run at every cluster start) must
 * remove all of it: processes, mounts, cgroups, bridges, iptables chains and
 * the directory.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { cgroupHierarchies } from "./support/node/cgroups.ts";
import { run } from "./support/node/host_command.ts";
import { readRecord } from "./support/node/host_record.ts";
import { realNodeUnavailable } from "./support/node/capability.ts";
import { mountsUnder } from "./support/node/mounts.ts";
import { reapStaleClusters } from "./support/reaper.ts";

const child = fileURLToPath(new URL("./support/node/real_node_child.ts", import.meta.url));
const unavailable = await realNodeUnavailable();

async function processesNaming(text: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (cmdline.replaceAll("\0", " ").includes(text)) pids.push(Number(entry.name));
  }
  return pids;
}

Deno.test({
  name:
    "reaper: a SIGKILLed runner's real node leaves no process, mount, cgroup, bridge, chain or directory",
  ignore: unavailable !== undefined,
  async fn() {
    const runner = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--frozen", child],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    let dir = "";
    const reader = runner.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let text = "";
      while (!dir) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`runner ended before its cluster was ready: ${text}`);
        text += value;
        dir = /READY (\S+)\n/.exec(text)?.[1] ?? "";
      }
    } finally {
      runner.kill("SIGKILL");
      await runner.status;
      await reader.cancel().catch(() => {});
    }
    const record = await readRecord(dir);
    assert.ok(record, "the cluster recorded its real nodes");
    const [node] = record.plan.nodes;
    // kubelet, containerd and the pod's shim.
    assert.ok((await processesNaming(node.dir)).length >= 3, "the node's processes ran");
    assert.ok((await mountsUnder(dir)).length > 0, "the pod's mounts were there");

    await reapStaleClusters();

    assert.deepEqual(await processesNaming(dir), [], "no process of the cluster");
    assert.deepEqual(await mountsUnder(dir), [], "no mount below the cluster directory");
    for (const hierarchy of await cgroupHierarchies(true)) {
      const exists = await Deno.stat(`${hierarchy}${node.cgroupRoot}`).then(
        () => true,
        () => false,
      );
      assert.equal(exists, false, `cgroup ${hierarchy}${node.cgroupRoot} removed`);
    }
    const links = await run("ip", ["-o", "link", "show"]);
    assert.ok(!links.includes(node.bridge), `bridge ${node.bridge} removed`);
    for (const save of ["iptables-save", "ip6tables-save"]) {
      const rules = await run(save, []);
      assert.ok(!rules.includes(record.plan.guardChain), `${save}: guard chain removed`);
      assert.ok(!/^:KUBE-/m.test(rules), `${save}: no KUBE-* chain left`);
    }
    const netns = await Array.fromAsync(Deno.readDir("/run/netns")).catch(() => []);
    assert.deepEqual(netns.map((e) => e.name).filter((n) => !record.netnsBefore?.includes(n)), []);
    assert.equal(await Deno.stat(dir).then(() => true, () => false), false, "directory removed");
  },
});
