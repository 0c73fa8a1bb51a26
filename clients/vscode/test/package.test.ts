import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

// out/test/package.test.js -> clients/vscode
const root = path.resolve(__dirname, "..", "..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const properties = manifest.contributes.configuration.properties;

test("the server settings are window-scoped, so User settings reach a remote window", () => {
  for (const key of ["renga.server.path", "renga.server.interpreter", "renga.server.env"]) {
    assert.equal(properties[key].scope, "window", key);
  }
});

test("an untrusted workspace cannot choose the server program", () => {
  assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, [
    "renga.server.path",
    "renga.server.interpreter",
    "renga.server.env",
  ]);
});

test("the key command is contributed and the wheel is packaged", () => {
  const commands = manifest.contributes.commands.map((c: { command: string }) => c.command);
  assert.ok(commands.includes("renga.client.setApiKey"));
  assert.ok(commands.includes("renga.client.clearApiKey"));
  const ignore = fs.readFileSync(path.join(root, ".vscodeignore"), "utf8").split("\n");
  assert.ok(ignore.includes("!server/renga_lsp-*.whl"));
  assert.match(manifest.scripts.package, /bundle-server\.mjs && vsce package/);
});
