import assert from "node:assert/strict";
import { barChart, lineChart } from "./svg.ts";
import { escapeXml, formatNumber, niceTicks } from "./svg_format.ts";

Deno.test("niceTicks() covers the range with steps of 1, 2 or 5 × 10^n", () => {
  assert.deepEqual(niceTicks(0, 17), [0, 5, 10, 15, 20]);
  assert.deepEqual(niceTicks(0, 0.9), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(3, 3), [3, 3.2, 3.4, 3.6, 3.8, 4]);
  assert.throws(() => niceTicks(0, Infinity), RangeError);
});

Deno.test("formatNumber() and escapeXml() make safe, short labels", () => {
  assert.equal(formatNumber(3), "3");
  assert.equal(formatNumber(2.345), "2.35");
  assert.equal(formatNumber(15.26), "15.3");
  assert.equal(formatNumber(2, 1), "2.0");
  assert.equal(escapeXml(`<a & "b">`), "&#60;a &#38; &#34;b&#34;&#62;");
});

Deno.test("lineChart() draws one polyline and a marker per point, with a legend", () => {
  const svg = lineChart({
    title: "Reconciles <per> second",
    xLabel: "Databases",
    yLabel: "per second",
    series: [
      { name: "a", points: [[0, 1], [10, 3], [20, 2]] },
      { name: "b", points: [[0, 2], [20, 4]] },
    ],
  });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.endsWith("</svg>"));
  assert.equal(svg.match(/<polyline/g)?.length, 2);
  assert.equal(svg.match(/<circle/g)?.length, 5);
  assert.ok(svg.includes("Reconciles &#60;per&#62; second"), "the title is escaped");
  assert.ok(svg.includes(">Databases<") && svg.includes(">per second<"));
});

Deno.test("barChart() draws a bar per series and category, whiskers and sample dots", () => {
  const svg = barChart({
    title: "Fail-over",
    categories: ["SIGTERM", "SIGKILL"],
    series: [{
      name: "median",
      values: [1.5, 16],
      ranges: [[0.5, 4], [14, 19]],
      samples: [[0.5, 1.5, 4], [14, 16, 19]],
    }],
  });
  assert.equal(svg.match(/<rect x=/g)?.length, 2);
  assert.equal(svg.match(/<path d="M/g)?.length, 2);
  assert.equal(svg.match(/<circle/g)?.length, 6);
  assert.ok(svg.includes(">1.5<") && svg.includes(">16<"));
});

Deno.test("charts reject mismatched shapes and non-finite values", () => {
  assert.throws(
    () => barChart({ title: "t", categories: ["a", "b"], series: [{ name: "s", values: [1] }] }),
    RangeError,
  );
  assert.throws(
    () => lineChart({ title: "t", series: [{ name: "s", points: [[0, NaN]] }] }),
    RangeError,
  );
  assert.throws(() => lineChart({ title: "t", series: [] }), RangeError);
});
