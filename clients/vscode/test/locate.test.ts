import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { isNotFound, locateServer, NotFound, Probe, ServerCommand, systemProbe } from "../src/locate";

function probe(opts: { executables?: string[]; withRenga?: string[]; onPath?: string } = {}): Probe {
  return {
    isExecutable: (file) => (opts.executables ?? []).includes(file),
    hasRenga: (python) => (opts.withRenga ?? []).includes(python[0]),
    which: (name) => (name === "renga" ? opts.onPath : undefined),
  };
}

const none = { path: "", interpreter: [] as string[] };

test("the path setting wins over everything else", () => {
  const found = locateServer(
    { path: "/opt/renga/bin/renga", interpreter: ["/usr/bin/python3"], pythonEnvironment: "/venv/bin/python" },
    probe({ executables: ["/opt/renga/bin/renga"], withRenga: ["/usr/bin/python3", "/venv/bin/python"], onPath: "/usr/bin/renga" }),
  ) as ServerCommand;
  assert.deepEqual([found.command, found.args], ["/opt/renga/bin/renga", ["serve"]]);
});

test("a path setting that is not executable is reported, not skipped", () => {
  const result = locateServer({ ...none, path: "/nope/renga" }, probe({ onPath: "/usr/bin/renga" }));
  assert.ok(isNotFound(result));
  assert.match(result.message, /renga\.server\.path is set to \/nope\/renga/);
  assert.equal(result.fixes[0].setting, "renga.server.path");
});

test("an interpreter setting runs renga as a module, keeping its arguments", () => {
  const found = locateServer(
    { ...none, interpreter: ["/usr/bin/env", "python3"] },
    probe({ withRenga: ["/usr/bin/env"] }),
  ) as ServerCommand;
  assert.deepEqual([found.command, found.args], ["/usr/bin/env", ["python3", "-m", "renga", "serve"]]);
});

test("an interpreter without renga offers to install it there", () => {
  const result = locateServer({ ...none, interpreter: ["/home/me/my env/python"] }, probe()) as NotFound;
  assert.ok(isNotFound(result));
  assert.equal(result.fixes[0].shell, "'/home/me/my env/python' -m pip install --upgrade renga-lsp");
});

test("the Python extension's environment comes before PATH when it has renga", () => {
  const found = locateServer(
    { ...none, pythonEnvironment: "/venv/bin/python" },
    probe({ withRenga: ["/venv/bin/python"], onPath: "/usr/bin/renga" }),
  ) as ServerCommand;
  assert.deepEqual([found.command, found.args], ["/venv/bin/python", ["-m", "renga", "serve"]]);
});

test("PATH is used when the active environment lacks renga", () => {
  const found = locateServer(
    { ...none, pythonEnvironment: "/venv/bin/python" },
    probe({ onPath: "/usr/local/bin/renga" }),
  ) as ServerCommand;
  assert.equal(found.command, "/usr/local/bin/renga");
  assert.equal(found.source, "PATH");
});

test("nothing found: the message says where it looked and the fix installs into the active environment", () => {
  const result = locateServer({ ...none, pythonEnvironment: "/venv/bin/python" }, probe()) as NotFound;
  assert.ok(isNotFound(result));
  assert.match(result.message, /active Python environment \(\/venv\/bin\/python\)/);
  assert.match(result.message, /pip install renga-lsp/);
  assert.equal(result.fixes[0].shell, "/venv/bin/python -m pip install --upgrade renga-lsp");
  assert.equal(result.fixes[1].setting, "renga.server.path");
});

test("nothing found without the Python extension: a plain pip install", () => {
  const result = locateServer(none, probe()) as NotFound;
  assert.match(result.fixes[0].shell ?? "", /pip install --user renga-lsp/);
});

test("the system probe finds executables on PATH and ignores plain files", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "renga-locate-"));
  const exe = path.join(dir, "renga");
  fs.writeFileSync(exe, "#!/bin/sh\n");
  fs.chmodSync(exe, 0o644);
  const p = systemProbe({ PATH: `/nonexistent${path.delimiter}${dir}` });
  assert.equal(p.which("renga"), undefined);
  fs.chmodSync(exe, 0o755);
  assert.equal(p.which("renga"), exe);
  assert.equal(p.isExecutable(dir), false);
});

test("the system probe runs the interpreter to see whether renga imports", () => {
  const p = systemProbe();
  assert.equal(p.hasRenga(["/bin/sh", "-c", "exit 0", "--"]), true);
  assert.equal(p.hasRenga(["/bin/sh", "-c", "exit 3", "--"]), false);
  assert.equal(p.hasRenga(["/nonexistent/python"]), false);
});
