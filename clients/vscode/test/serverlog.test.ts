import { test } from "node:test";
import * as assert from "node:assert/strict";

import { placeRecord, serverLogReader } from "../src/serverlog";

test("each record lands at its own level, without the server's timestamp", () => {
  const read = serverLogReader();
  assert.deepEqual(read("2026-12-02 17:50:28,123 renga INFO started renga 0.1.0"), { level: "info", text: "renga: started renga 0.1.0" });
  assert.deepEqual(read("2026-12-02 17:50:28,124 renga.usage WARNING usage ledger unusable"), { level: "warn", text: "renga.usage: usage ledger unusable" });
  assert.deepEqual(read("2026-12-02 17:50:28,125 renga DEBUG timings"), { level: "debug", text: "renga: timings" });
  assert.deepEqual(read("2026-12-02 17:50:28,125 renga TRACE model request body: {}"), { level: "trace", text: "renga: model request body: {}" });
  assert.deepEqual(read("renga ERROR no timestamp"), { level: "error", text: "renga: no timestamp" });
});

test("a traceback's lines follow the record they belong to", () => {
  const read = serverLogReader();
  read("2026-12-02 17:50:28,123 renga WARNING background task failed");
  assert.deepEqual(read("Traceback (most recent call last):"), { level: "warn", text: "Traceback (most recent call last):" });
});

test("before any record, unparsed output is an error (Python's own crash)", () => {
  assert.equal(serverLogReader()("ModuleNotFoundError: No module named 'renga'").level, "error");
});

test("debug records the channel would hide are shown at info, marked; others keep their level", () => {
  const info = 3; // vscode.LogLevel.Info, the channel's default
  assert.deepEqual(placeRecord({ level: "debug", text: "renga: timings" }, info), { level: "info", text: "(debug) renga: timings" });
  assert.deepEqual(placeRecord({ level: "debug", text: "renga: timings" }, 2), { level: "debug", text: "renga: timings" });
  assert.deepEqual(placeRecord({ level: "warn", text: "w" }, info), { level: "warn", text: "w" });
});
