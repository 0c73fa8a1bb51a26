import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { explicitSettings, Inspected, serverSettingKeys } from "../src/settings";

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
const properties: Record<string, unknown> = manifest.contributes.configuration.properties;

test("client-only settings are not sent to the server", () => {
  const keys = serverSettingKeys(properties);
  assert.ok(keys.includes("completion.enabled"));
  assert.ok(keys.includes("models.fast"));
  assert.ok(!keys.some((k) => k.startsWith("server.") || k.startsWith("trace.")));
});

test("only explicitly set values are sent, nested by section, most specific scope first", () => {
  const values: Record<string, Inspected> = {
    "completion.debounceMs": { globalValue: 120 },
    "completion.enabled": { globalValue: true, workspaceValue: false },
    "models.fast": { globalValue: "a", workspaceValue: "b", workspaceFolderValue: "c" },
    "baseUrl": { globalValue: "" },
    "provider": {},
  };
  const sent = explicitSettings(["completion.debounceMs", "completion.enabled", "models.fast", "baseUrl", "provider"], (k) => values[k]);
  assert.deepEqual(sent, { completion: { debounceMs: 120, enabled: false }, models: { fast: "c" } });
});

test("every contributed setting has a default and a description", () => {
  for (const [key, spec] of Object.entries(properties) as [string, { default?: unknown; markdownDescription?: string }][]) {
    assert.ok("default" in spec, `${key} has no default`);
    assert.ok(spec.markdownDescription, `${key} has no description`);
  }
});
