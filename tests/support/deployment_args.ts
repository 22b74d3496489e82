/**
 * The arguments deploy/'s Deployment gives pgop, so that tests run pgop as it
 * is deployed (with only the listen addresses changed: a test cannot take
 * the pod's fixed ports on a shared machine).
 *
 * @module
 */
import { parse } from "yaml";

const DEPLOYMENT = new URL("../../deploy/base/deployment.yaml", import.meta.url);

/** The container args of deploy/base/deployment.yaml. */
export async function deploymentArgs(): Promise<string[]> {
  const doc = parse(await Deno.readTextFile(DEPLOYMENT));
  const args = doc?.spec?.template?.spec?.containers?.[0]?.args;
  if (!Array.isArray(args)) throw new Error("No container args in deploy/base/deployment.yaml");
  return args.map(String);
}

/** `args` with `--metrics-address` and `--health-probe-address` set to these. */
export function withAddresses(
  args: readonly string[],
  addresses: { metrics: string; health: string },
): string[] {
  return [
    ...args.filter((a) =>
      !a.startsWith("--metrics-address") && !a.startsWith("--health-probe-address")
    ),
    `--metrics-address=${addresses.metrics}`,
    `--health-probe-address=${addresses.health}`,
  ];
}
