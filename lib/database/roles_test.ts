import assert from "node:assert/strict";
import { parseDemotedMessage, ROLE_LABEL } from "./roles.ts";

Deno.test("ROLE_LABEL is in pgop's group", () => {
  assert.equal(ROLE_LABEL, "database.example.com/role");
});

Deno.test("parseDemotedMessage() reads the instance script's termination message", () => {
  const table: Array<[string | undefined, ReturnType<typeof parseDemotedMessage>]> = [
    ["pgop demoted: lsn=0/3000028 timeline=1", { id: "", lsn: "0/3000028", timeline: 1 }],
    ["pgop demoted: id= lsn=0/3000028 timeline=1", { id: "", lsn: "0/3000028", timeline: 1 }],
    [
      "pgop demoted: id=s-17 lsn=1A/FF000060 timeline=12\n",
      { id: "s-17", lsn: "1A/FF000060", timeline: 12 },
    ],
    ["pgop demoted: id=a/b lsn=0/3000028 timeline=1", undefined],
    [undefined, undefined],
    ["", undefined],
    ["OOMKilled", undefined],
    ["pgop demoted: lsn= timeline=1", undefined],
    ["pgop demoted: lsn=0/3000028", undefined],
    ["pgop demoted: lsn=0/30'; drop timeline=1", undefined],
    ["pgop demoted: lsn=0/3000028 timeline=0", undefined],
  ];
  for (const [message, expected] of table) {
    assert.deepEqual(parseDemotedMessage(message), expected, JSON.stringify(message));
  }
});
