// Builds a wheel of the renga server from this checkout into server/, which `vsce package`
// ships inside the .vsix (.vscodeignore lets it through): renga is not on the package index, so
// the extension installs the server from this wheel (src/install.ts). The wheel has no
// dependencies inside; pip fetches them from PyPI when the extension installs it.
//   PYTHON=/path/to/python3 npm run package    (default: python3)
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url))); // clients/vscode
const repo = path.resolve(here, "..", "..");
const out = path.join(here, "server");
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out);
const python = process.env.PYTHON || (process.platform === "win32" ? "python" : "python3");
const args = ["-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "--quiet", "--wheel-dir", out, repo];
console.log(`bundle-server: ${python} ${args.join(" ")}`);
const done = spawnSync(python, args, { stdio: "inherit" });
if (done.error || done.status !== 0) {
  console.error(`bundle-server: building the renga wheel failed (${done.error ?? `exit ${done.status}`}); set PYTHON to a Python 3.11+ with pip`);
  process.exit(1);
}
const wheels = fs.readdirSync(out).filter((f) => /^renga_lsp-.*\.whl$/.test(f));
if (wheels.length !== 1) {
  console.error(`bundle-server: expected one renga wheel in ${out}, found ${JSON.stringify(fs.readdirSync(out))}`);
  process.exit(1);
}
console.log(`bundle-server: ${path.join("server", wheels[0])}`);
