/**
 * `probeReplication()` in a process of its own, for a test that runs it
 * inside pgop's sandbox (its `--allow-env`): reads the target as JSON from
 * standard input, prints the standbys as JSON.
 *
 * @module
 */
import { probeReplication, type ProbeTarget } from "../../lib/database/replication_probe.ts";

const target = JSON.parse(await new Response(Deno.stdin.readable).text()) as ProbeTarget;
console.log(JSON.stringify(await probeReplication(target, new AbortController().signal)));
