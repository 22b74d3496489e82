/**
 * The iptables state of real nodes: the egress guard, and removal of the
 * chains the harness, kubelet, kube-proxy and CNI made.
 *
 * The guard lives in the mangle table's PREROUTING, which kube-proxy never
 * rewrites (it inserts its own jumps above other rules in filter and nat),
 * and it sees a pod's packet before any DNAT, so a Service address is still
 * a Service address there.
 *
 * @module
 */
import { run } from "./host_command.ts";

const TABLES = ["raw", "mangle", "nat", "filter"] as const;

/** What pods may reach: the pods' and Services' networks, and loopback. */
export interface EgressGuard {
  readonly chain: string;
  /** Source network of the pods (the bridges' addresses lie in it too). */
  readonly podCidr: string;
  readonly allowed: readonly string[];
}

/** Creates the guard's chain and jumps to it for every packet from the pods. */
export async function installEgressGuard(guard: EgressGuard): Promise<void> {
  const rules = [
    `:${guard.chain} - [0:0]`,
    ...[guard.podCidr, ...guard.allowed].map((cidr) => `-A ${guard.chain} -d ${cidr} -j RETURN`),
    `-A ${guard.chain} -m comment --comment "pgop: pods reach nothing outside the machine" -j DROP`,
    `-I PREROUTING 1 -s ${guard.podCidr} -j ${guard.chain}`,
  ];
  await run("iptables-restore", ["--noflush"], { input: `*mangle\n${rules.join("\n")}\nCOMMIT\n` });
}

/** Packets the guard has dropped so far. */
export async function egressGuardDrops(chain: string): Promise<number> {
  const out = await run("iptables", ["-t", "mangle", "-n", "-v", "-x", "-L", chain]);
  const drop = out.split("\n").map((l) => l.trim().split(/\s+/)).find((f) => f[2] === "DROP");
  if (!drop) throw new Error(`No DROP rule in chain ${chain}:\n${out}`);
  return Number(drop[0]);
}

/**
 * Removes the chains whose name `owned` accepts, in every table of iptables
 * and ip6tables, with the rules of other chains that jump to them; returns
 * failures.
 */
export async function removeChains(owned: (chain: string) => boolean): Promise<string[]> {
  const problems: string[] = [];
  for (
    const [save, restore] of [["iptables-save", "iptables-restore"], [
      "ip6tables-save",
      "ip6tables-restore",
    ]]
  ) {
    for (const table of TABLES) {
      let dump: string;
      try {
        dump = await run(save, ["-t", table]);
      } catch {
        continue; // Table or family not available.
      }
      const chains = dump.split("\n").filter((l) => l.startsWith(":")).map((l) =>
        l.slice(1).split(" ")[0]
      ).filter(owned);
      if (chains.length === 0) continue;
      const jumps = dump.split("\n").filter((l) => l.startsWith("-A ")).filter((l) => {
        const [, from] = l.split(" ");
        const target = / -[jg] (\S+)/.exec(l)?.[1];
        return !owned(from) && target !== undefined && owned(target);
      }).map((l) => `-D ${l.slice(3)}`);
      const script = [
        `*${table}`,
        ...jumps,
        ...chains.map((c) => `-F ${c}`),
        ...chains.map((c) => `-X ${c}`),
        "COMMIT",
        "",
      ].join("\n");
      try {
        await run(restore, ["--noflush"], { input: script });
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
  }
  return problems;
}
