import { test } from "node:test";
import * as assert from "node:assert/strict";

import { formatUsd, statusView } from "../src/status";

test("ready shows today's spend", () => {
  const view = statusView({ state: "ready", message: "", spendTodayUsd: 0.4567 }, true);
  assert.equal(view.text, "$(sparkle) renga $0.46");
  assert.match(view.tooltip, /Spent today: \$0\.46/);
  assert.equal(view.severity, "normal");
});

test("tiny spends are not rounded to zero", () => {
  assert.equal(formatUsd(0.0004), "<$0.01");
  assert.equal(formatUsd(0), "$0.00");
});

test("disabled completions are visible while the server is ready", () => {
  assert.equal(statusView({ state: "ready", spendTodayUsd: 0 }, false).text, "$(circle-slash) renga $0.00");
  assert.match(statusView({ state: "ready" }, false).tooltip, /Completions: off/);
});

test("errors and missing credentials stand out with their message", () => {
  const error = statusView({ state: "error", message: "invalid x-api-key" }, true);
  assert.equal(error.severity, "error");
  assert.match(error.tooltip, /invalid x-api-key/);
  assert.equal(statusView({ state: "inactive", message: "ANTHROPIC_API_KEY is not set" }, true).severity, "warning");
});

test("an unknown state still renders", () => {
  assert.equal(statusView({ state: "mystery" }, true).text, "$(question) renga");
});
