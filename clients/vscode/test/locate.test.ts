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

const none = { path: "", interpreter: [] as string[], canInstall: true };

test("the path setting wins over everything else", () => {
  const found = locateServer(
    { ...none, path: "/opt/renga/bin/renga", interpreter: ["/usr/bin/python3"], pythonEnvironment: "/venv/bin/python" },
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

test("an interpreter without renga offers to install the bundled wheel there", () => {
  const result = locateServer({ ...none, interpreter: ["/home/me/my env/python"] }, probe()) as NotFound;
  assert.ok(isNotFound(result));
  assert.deepEqual(result.fixes[0].install, ["/home/me/my env/python"]);
  assert.equal(result.fixes[1].setting, "renga.server.interpreter");
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

test("nothing found: the message says where it looked; the first fix installs a private copy", () => {
  const result = locateServer({ ...none, pythonEnvironment: "/venv/bin/python" }, probe()) as NotFound;
  assert.ok(isNotFound(result));
  assert.match(result.message, /active Python environment \(\/venv\/bin\/python\)/);
  assert.match(result.message, /private environment .*Python 3\.11\+.*PyPI/);
  assert.doesNotMatch(result.message, /renga-lsp/); // not on the package index
  assert.deepEqual(
    result.fixes.map((f) => [f.label, f.install ?? f.setting]),
    [
      ["Install renga", "private"],
      ["Install in Active Python Environment", ["/venv/bin/python"]],
      ["Set Path", "renga.server.path"],
    ],
  );
});

test("a build without a wheel says how to install from a checkout and offers no install", () => {
  const result = locateServer({ ...none, canInstall: false }, probe()) as NotFound;
  assert.match(result.message, /pip install \.` in a checkout/);
  assert.deepEqual(result.fixes.map((f) => f.setting), ["renga.server.path"]);
});

test("the extension's own install is used when nothing else has renga, and loses to PATH", () => {
  const own = "/storage/server/venv/bin/renga";
  const found = locateServer({ ...none, installed: own }, probe()) as ServerCommand;
  assert.deepEqual([found.command, found.args, found.source], [own, ["serve"], "the extension's own environment"]);
  const onPath = locateServer({ ...none, installed: own }, probe({ onPath: "/usr/bin/renga" })) as ServerCommand;
  assert.equal(onPath.command, "/usr/bin/renga");
});

test("in a remote window the messages say where the server settings go", () => {
  const bad = locateServer({ ...none, path: "/home/me/renga", remote: "ssh-remote" }, probe()) as NotFound;
  assert.match(bad.message, /remote window \(ssh-remote\).*User settings or in the Remote settings/);
  const missing = locateServer({ ...none, remote: "wsl" }, probe()) as NotFound;
  assert.match(missing.message, /Preferences: Open Remote Settings/);
  assert.doesNotMatch((locateServer(none, probe()) as NotFound).message, /remote/);
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
