import assert from "node:assert/strict";
import {
  histogramQuantile,
  parseExposition,
  parsePromText,
  samplesOf,
  sumBy,
  sumSamples,
  valueOf,
} from "./prometheus_text.ts";

const TEXT = `# HELP rest_client_requests_total Number of HTTP requests.
# TYPE rest_client_requests_total counter
rest_client_requests_total{code="201",method="create",resource="secrets"} 10
rest_client_requests_total{code="200",method="apply",resource="databases.database.example.com"} 20
rest_client_requests_total{code="409",method="create",resource="secrets"} 2
database_reconcile_queue_depth 3
weird{msg="a \\"quoted\\", value",x="y"} 1.5e0 1700000000000
h_bucket{result="success",le="0.1"} 2
h_bucket{result="success",le="1"} 6
h_bucket{result="success",le="+Inf"} 6
h_bucket{result="error",le="0.1"} 2
h_bucket{result="error",le="1"} 2
h_bucket{result="error",le="+Inf"} 2
`;

Deno.test("parsePromText() reads names, labels with escapes, values and skips comments", () => {
  const samples = parsePromText(TEXT);
  assert.equal(samples.length, 11);
  assert.deepEqual(samples[0], {
    name: "rest_client_requests_total",
    labels: { code: "201", method: "create", resource: "secrets" },
    value: 10,
  });
  assert.deepEqual(samples[4], {
    name: "weird",
    labels: { msg: 'a "quoted", value', x: "y" },
    value: 1.5,
  });
  assert.equal(samples[3].value, 3);
});

Deno.test("parsePromText() parses only the names `keep` accepts", () => {
  const samples = parsePromText(TEXT, (name) => name === "database_reconcile_queue_depth");
  assert.deepEqual(samples, [{ name: "database_reconcile_queue_depth", labels: {}, value: 3 }]);
});

Deno.test("parsePromText() rejects a line that is not a sample", () => {
  assert.throws(() => parsePromText("this is not { a sample"), SyntaxError);
});

Deno.test("sumSamples() and sumBy() add the samples matching a filter", () => {
  const samples = parsePromText(TEXT);
  assert.equal(sumSamples(samples, "rest_client_requests_total"), 32);
  assert.equal(sumSamples(samples, "rest_client_requests_total", { method: "create" }), 12);
  assert.equal(sumSamples(samples, "missing"), 0);
  assert.deepEqual(sumBy(samples, "rest_client_requests_total", "method"), {
    create: 12,
    apply: 20,
  });
});

Deno.test("histogramQuantile() interpolates within buckets summed over labels", () => {
  const samples = parsePromText(TEXT);
  // 8 observations: 4 in [0, 0.1], 4 in (0.1, 1].
  assert.equal(histogramQuantile(samples, "h", 0.5), 0.1);
  assert.ok(Math.abs((histogramQuantile(samples, "h", 0.75) ?? 0) - 0.55) < 1e-9);
  assert.equal(histogramQuantile(samples, "h", 0.25, { result: "error" }), 0.025);
  assert.equal(histogramQuantile(samples, "nothing", 0.5), undefined);
  assert.throws(() => histogramQuantile(samples, "h", 2), RangeError);
});

Deno.test("histogramQuantile() reports an answer in +Inf as the highest finite bound", () => {
  const samples = parsePromText(`x_bucket{le="1"} 1\nx_bucket{le="+Inf"} 10\n`);
  assert.equal(histogramQuantile(samples, "x", 0.99), 1);
});

Deno.test("parseExposition() reads the types; samplesOf() and valueOf() filter by labels", () => {
  const scrape = parseExposition(TEXT);
  assert.equal(scrape.types.get("rest_client_requests_total"), "counter");
  assert.equal(samplesOf(scrape, "h_bucket", { result: "error" }).length, 3);
  assert.equal(valueOf(scrape, "rest_client_requests_total", { method: "create" }), 12);
  assert.equal(valueOf(scrape, "missing"), undefined);
  assert.throws(() => parseExposition('x{a="b"} notanumber'), SyntaxError);
});
