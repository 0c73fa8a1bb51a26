/**
 * Installing the renga server with no terminal: renga is not on the package index, so the
 * extension carries a wheel of it (`server/renga_lsp-*.whl`, built by `npm run package`) and,
 * when asked, creates a private virtual environment in its global storage with a Python >= 3.11
 * found on PATH, and pip-installs the wheel there (its dependencies come from PyPI).
 *
 * Processes run through `Run` and the storage folder is a plain path, so the steps, the choice
 * of Python and the failure messages are unit-tested without a real pip.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";

export const MIN_PYTHON: readonly [number, number] = [3, 11];

export interface RunResult {
  code: number | null;
  /** stdout and stderr, interleaved as they came. */
  output: string;
}

/** Runs a process to its end; `onLine` sees each output line as it comes (for the log). */
export type Run = (command: string, args: string[], onLine?: (line: string) => void) => Promise<RunResult>;

/** Where the private environment lives inside the extension's global storage. */
export interface Layout {
  venv: string;
  /** Written last, only after a complete install: a half-done install is never used. */
  marker: string;
}

export function layout(storage: string): Layout {
  return { venv: path.join(storage, "server", "venv"), marker: path.join(storage, "server", "installed.json") };
}

export function venvExecutable(venv: string, name: string, platform: string = process.platform): string {
  return platform === "win32" ? path.join(venv, "Scripts", `${name}.exe`) : path.join(venv, "bin", name);
}

/** Interpreters tried in order; the first one that is >= 3.11 (and has `venv`) is used. */
export function pythonCandidates(platform: string = process.platform): string[][] {
  if (platform === "win32") return [["py", "-3"], ["python"], ["python3"]];
  return [["python3"], ["python"], ["python3.14"], ["python3.13"], ["python3.12"], ["python3.11"]];
}

/** The wheel shipped in the extension (`<extension>/server/*.whl`), if this build has one. */
export function bundledWheel(extensionPath: string): string | undefined {
  const dir = path.join(extensionPath, "server");
  try {
    const wheels = fs.readdirSync(dir).filter((f) => /^renga_lsp-.*\.whl$/.test(f)).sort();
    return wheels.length ? path.join(dir, wheels[wheels.length - 1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface Installed {
  /** The `renga` executable of the private environment. */
  renga: string;
  /** File name of the wheel it was installed from. */
  wheel: string;
  /** sha256 of that wheel: a rebuilt extension carries a different one (same version or not). */
  digest: string;
}

export function wheelDigest(wheel: string): string {
  return createHash("sha256").update(fs.readFileSync(wheel)).digest("hex");
}

/** The private install, if a complete one exists. */
export function installedServer(storage: string, platform: string = process.platform): Installed | undefined {
  const { venv, marker } = layout(storage);
  try {
    const recorded = JSON.parse(fs.readFileSync(marker, "utf8")) as { wheel?: unknown; digest?: unknown };
    const renga = venvExecutable(venv, "renga", platform);
    if (typeof recorded.wheel !== "string" || !fs.statSync(renga).isFile()) return undefined;
    return { renga, wheel: recorded.wheel, digest: typeof recorded.digest === "string" ? recorded.digest : "" };
  } catch {
    return undefined;
  }
}

export interface FoundPython {
  python: string[];
  version: string;
}

const VERSION_PROBE = "import sys, venv; print('%d.%d' % sys.version_info[:2])";

export async function findPython(
  run: Run,
  candidates: string[][] = pythonCandidates(),
): Promise<FoundPython | { error: string }> {
  const seen: string[] = [];
  for (const python of candidates) {
    let result: RunResult;
    try {
      result = await run(python[0], [...python.slice(1), "-c", VERSION_PROBE]);
    } catch {
      continue; // not installed
    }
    const version = /(\d+)\.(\d+)\s*$/.exec(result.output.trim());
    if (result.code !== 0 || !version) continue;
    const [major, minor] = [Number(version[1]), Number(version[2])];
    if (major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1])) {
      return { python, version: `${major}.${minor}` };
    }
    seen.push(`${python.join(" ")} is ${major}.${minor}`);
  }
  const tried = candidates.map((c) => c.join(" ")).join(", ");
  return {
    error:
      `renga needs Python ${MIN_PYTHON.join(".")} or newer to install its server, and none was found on PATH ` +
      `(tried ${tried}${seen.length ? `; ${seen.join(", ")}` : ""}). Install Python ${MIN_PYTHON.join(".")}+ ` +
      "and try again, or point renga.server.interpreter at one that has renga.",
  };
}

function tail(output: string, lines = 6): string {
  return output.trim().split(/\r?\n/).slice(-lines).join("\n");
}

export interface InstallOptions {
  storage: string;
  wheel: string;
  run: Run;
  /** Progress messages for the user ("creating a Python environment", ...). */
  report: (message: string) => void;
  /** Each line pip and venv print, for the log. */
  onLine?: (line: string) => void;
  candidates?: string[][];
  platform?: string;
}

/**
 * A fresh private environment with the wheel installed. On any failure the environment is
 * removed (nothing half-installed is left to be found) and the error says what failed.
 */
export async function installServer(options: InstallOptions): Promise<Installed | { error: string }> {
  const { storage, wheel, run, report, onLine } = options;
  const platform = options.platform ?? process.platform;
  const { venv, marker } = layout(storage);
  report("looking for Python 3.11+");
  const found = await findPython(run, options.candidates ?? pythonCandidates(platform));
  if ("error" in found) return found;
  fs.rmSync(marker, { force: true });
  fs.rmSync(venv, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  const fail = (error: string): { error: string } => {
    fs.rmSync(venv, { recursive: true, force: true });
    return { error };
  };
  report(`creating a Python ${found.version} environment`);
  const created = await run(found.python[0], [...found.python.slice(1), "-m", "venv", venv], onLine);
  if (created.code !== 0) {
    const hint = /ensurepip/.test(created.output) ? " (on Debian and Ubuntu: apt install python3-venv)" : "";
    return fail(`creating the environment with ${found.python.join(" ")} failed${hint}:\n${tail(created.output)}`);
  }
  report("installing renga and its dependencies (from PyPI)");
  const pip = await run(
    venvExecutable(venv, "python", platform),
    ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", wheel],
    onLine,
  );
  const renga = venvExecutable(venv, "renga", platform);
  if (pip.code !== 0) return fail(`pip could not install renga:\n${tail(pip.output)}`);
  if (!fs.existsSync(renga)) return fail(`pip finished but ${renga} is missing:\n${tail(pip.output)}`);
  const digest = wheelDigest(wheel);
  fs.writeFileSync(marker, JSON.stringify({ wheel: path.basename(wheel), digest, python: found.python, at: new Date().toISOString() }));
  return { renga, wheel: path.basename(wheel), digest };
}

/** Installs the wheel into an interpreter the user chose (their own environment). */
export async function installInto(
  python: string[],
  wheel: string,
  run: Run,
  onLine?: (line: string) => void,
): Promise<{ error?: string }> {
  const pip = await run(
    python[0],
    [...python.slice(1), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--upgrade", wheel],
    onLine,
  );
  return pip.code === 0 ? {} : { error: `pip could not install renga into ${python.join(" ")}:\n${tail(pip.output)}` };
}

/** The real runner: no shell, output collected and streamed line by line. */
export const spawnRun: Run = (command, args, onLine) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
    let output = "";
    let partial = "";
    const take = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      const lines = (partial + text).split(/\r?\n/);
      partial = lines.pop() ?? "";
      for (const line of lines) if (line) onLine?.(line);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code) => {
      if (partial) onLine?.(partial);
      resolve({ code, output });
    });
  });
