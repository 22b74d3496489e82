/**
 * Starts the system under test a load-test run asks for.
 *
 * @module
 */
import type { LoadtestOptions } from "./options.ts";
import { externalSystem, type SystemUnderTest } from "./sut.ts";
import { type ChildPgop, startChildPgop } from "./sut_child.ts";
import { startFloor } from "./sut_floor.ts";
import { startInProcessPgop } from "./sut_in_process.ts";

/** pgop (in-process, child, or external) or the floor writer, per `options`. */
export function startSystem(
  options: LoadtestOptions,
  kubeconfig: string,
  outDir: string,
): Promise<SystemUnderTest | ChildPgop> {
  if (options.mode === "floor") return startFloor(kubeconfig, options.floorWorkers);
  switch (options.pgop) {
    case "in-process":
      return startInProcessPgop(kubeconfig, options.pgopArgs);
    case "child":
      return startChildPgop({
        kubeconfig,
        args: options.pgopArgs,
        dir: outDir,
        cpuProfile: options.cpuProf,
      });
    case "none":
      return Promise.resolve(externalSystem());
  }
}

/** Whether `sut` is a child process (it has a pid and a profile). */
export function isChild(sut: SystemUnderTest): sut is ChildPgop {
  return "pid" in sut;
}
