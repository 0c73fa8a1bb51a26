import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import {
  bundledWheel,
  findPython,
  installedServer,
  installInto,
  installServer,
  layout,
  Run,
  spawnRun,
  venvExecutable,
  wheelDigest,
} from "../src/install";

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "renga-install-"));
}

/** Pythons by name with their versions; `-m venv DIR` makes DIR/bin/python, `pip install` makes
 * DIR/bin/renga unless `pipFails`. Records every call. */
function fakeRun(versions: Record<string, string>, opts: { pipFails?: string; venvFails?: string } = {}) {
  const calls: string[][] = [];
  const run: Run = async (command, args, onLine) => {
    calls.push([command, ...args]);
    if (args.includes("-c")) {
      if (!(command in versions)) throw Object.assign(new Error(`spawn ${command} ENOENT`), { code: "ENOENT" });
      return { code: 0, output: `${versions[command]}\n` };
    }
    const venvAt = args.indexOf("venv");
    if (args[venvAt - 1] === "-m" && venvAt >= 0) {
      if (opts.venvFails) return { code: 1, output: opts.venvFails };
      const dir = args[venvAt + 1];
      fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
      fs.writeFileSync(path.join(dir, "bin", "python"), "");
      return { code: 0, output: "" };
    }
    if (args.includes("pip")) {
      onLine?.("Processing renga_lsp-0.1.0-py3-none-any.whl");
      if (opts.pipFails) return { code: 1, output: `Collecting pygls\n${opts.pipFails}` };
      const bin = path.dirname(command);
      fs.writeFileSync(path.join(bin, "renga"), "");
      return { code: 0, output: "Successfully installed renga-lsp-0.1.0" };
    }
    throw new Error(`unexpected call ${command} ${args.join(" ")}`);
  };
  return { run, calls };
}

const candidates = [["python3"], ["python3.12"], ["python3.11"]];
const wheel = path.join(tmp(), "renga_lsp-0.1.0-py3-none-any.whl");
fs.writeFileSync(wheel, "the wheel");

test("the first Python that is 3.11 or newer is chosen; older and missing ones are skipped", async () => {
  const { run } = fakeRun({ python3: "3.9", "python3.12": "3.12" });
  assert.deepEqual(await findPython(run, candidates), { python: ["python3.12"], version: "3.12" });
  assert.deepEqual(await findPython(fakeRun({ python3: "4.0" }).run, candidates), { python: ["python3"], version: "4.0" });
});

test("no Python 3.11+: the error says what was tried and what was found", async () => {
  const result = await findPython(fakeRun({ python3: "3.10" }).run, candidates);
  assert.ok("error" in result);
  assert.match(result.error, /needs Python 3\.11 or newer/);
  assert.match(result.error, /tried python3, python3\.12, python3\.11; python3 is 3\.10/);
});

test("install: a venv from the chosen Python, the wheel pip-installed into it, then the marker", async () => {
  const storage = tmp();
  const { run, calls } = fakeRun({ python3: "3.11" });
  const progress: string[] = [];
  const logged: string[] = [];
  const result = await installServer({
    storage, wheel, run, candidates, platform: "linux",
    report: (m) => progress.push(m),
    onLine: (l) => logged.push(l),
  });
  const { venv } = layout(storage);
  assert.deepEqual(result, { renga: path.join(venv, "bin", "renga"), wheel: path.basename(wheel), digest: wheelDigest(wheel) });
  assert.deepEqual(calls.slice(1), [
    ["python3", "-m", "venv", venv],
    [path.join(venv, "bin", "python"), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", wheel],
  ]);
  assert.deepEqual(progress, [
    "looking for Python 3.11+",
    "creating a Python 3.11 environment",
    "installing renga and its dependencies (from PyPI)",
  ]);
  assert.deepEqual(logged, ["Processing renga_lsp-0.1.0-py3-none-any.whl"]);
  assert.deepEqual(installedServer(storage, "linux"), result);
});

test("a failed pip install leaves nothing to be found and says what pip said", async () => {
  const storage = tmp();
  const { run } = fakeRun({ python3: "3.12" }, { pipFails: "ERROR: No matching distribution found for pygls" });
  const result = await installServer({ storage, wheel, run, candidates, platform: "linux", report: () => {} });
  assert.ok("error" in result);
  assert.match(result.error, /pip could not install renga:\nCollecting pygls\nERROR: No matching distribution/);
  assert.equal(fs.existsSync(layout(storage).venv), false);
  assert.equal(installedServer(storage, "linux"), undefined);
});

test("a Python without ensurepip gets the Debian hint", async () => {
  const { run } = fakeRun({ python3: "3.11" }, { venvFails: "The virtual environment was not created successfully because ensurepip is not available." });
  const result = await installServer({ storage: tmp(), wheel, run, candidates, platform: "linux", report: () => {} });
  assert.ok("error" in result);
  assert.match(result.error, /apt install python3-venv/);
});

test("reinstalling replaces the old environment; a half install (no marker) is never used", async () => {
  const storage = tmp();
  const { venv, marker } = layout(storage);
  fs.mkdirSync(path.join(venv, "bin"), { recursive: true });
  fs.writeFileSync(path.join(venv, "bin", "renga"), "");
  fs.writeFileSync(path.join(venv, "stale"), "");
  assert.equal(installedServer(storage, "linux"), undefined); // no marker
  await installServer({ storage, wheel, run: fakeRun({ python3: "3.13" }).run, candidates, platform: "linux", report: () => {} });
  assert.equal(fs.existsSync(path.join(venv, "stale")), false);
  assert.ok(fs.existsSync(marker));
});

test("installing into the user's own interpreter upgrades it from the wheel", async () => {
  const calls: string[][] = [];
  const run: Run = async (command, args) => {
    calls.push([command, ...args]);
    return { code: 0, output: "" };
  };
  assert.deepEqual(await installInto(["/usr/bin/env", "python3"], wheel, run), {});
  assert.deepEqual(calls, [["/usr/bin/env", "python3", "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--upgrade", wheel]]);
});

test("the bundled wheel is found in the extension's server folder", () => {
  const ext = tmp();
  assert.equal(bundledWheel(ext), undefined);
  fs.mkdirSync(path.join(ext, "server"));
  fs.writeFileSync(path.join(ext, "server", "renga_lsp-0.1.0-py3-none-any.whl"), "");
  assert.equal(bundledWheel(ext), path.join(ext, "server", "renga_lsp-0.1.0-py3-none-any.whl"));
});

test("Windows environments keep their executables in Scripts", () => {
  assert.equal(venvExecutable("C:\\v", "renga", "win32"), path.join("C:\\v", "Scripts", "renga.exe"));
});

test("the real runner streams lines and reports the exit code; a missing program rejects", async () => {
  const lines: string[] = [];
  const result = await spawnRun("/bin/sh", ["-c", "echo one; echo two >&2; exit 3"], (l) => lines.push(l));
  assert.equal(result.code, 3);
  assert.deepEqual(lines.sort(), ["one", "two"]);
  await assert.rejects(spawnRun("/nonexistent/python3", []));
});

test("the real Python of this machine is found (it runs the install for real)", async () => {
  const found = await findPython(spawnRun);
  assert.ok(!("error" in found), JSON.stringify(found));
});

test("the recorded digest tells a rebuilt wheel from the installed one", async () => {
  const storage = tmp();
  await installServer({ storage, wheel, run: fakeRun({ python3: "3.11" }).run, candidates, platform: "linux", report: () => {} });
  assert.equal(installedServer(storage, "linux")?.digest, wheelDigest(wheel));
  const rebuilt = path.join(tmp(), path.basename(wheel));
  fs.writeFileSync(rebuilt, "the wheel, rebuilt");
  assert.notEqual(wheelDigest(rebuilt), wheelDigest(wheel));
});
