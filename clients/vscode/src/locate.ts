/**
 * Finding the renga language server: the `renga.server.path` setting, else the
 * `renga.server.interpreter` setting, else the Python extension's active environment,
 * else `renga` on PATH, else the private environment the extension installed (install.ts).
 * A renga the user installed themselves wins over the extension's own copy. Pure logic; the
 * file system and process checks come in as a Probe so the order and the messages are
 * unit-tested.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it was found, for the log: "setting renga.server.path", "PATH", ... */
  source: string;
}

export interface Fix {
  /** Button label. */
  label: string;
  /** Install the bundled wheel: into a private environment, or into this interpreter. */
  install?: "private" | string[];
  /** A setting to open instead. */
  setting?: string;
}

export interface NotFound {
  message: string;
  fixes: Fix[];
}

export interface LocateInput {
  path: string;
  interpreter: string[];
  /** The Python extension's active interpreter, when that extension is installed. */
  pythonEnvironment?: string;
  /** The `renga` of the extension's private environment, when a complete install exists. */
  installed?: string;
  /** Whether this build of the extension carries a renga wheel it can install. */
  canInstall: boolean;
  /** `vscode.env.remoteName` (ssh-remote, wsl, ...) in a remote window. */
  remote?: string;
}

export interface Probe {
  isExecutable(file: string): boolean;
  /** Whether `python [...args] -c "import renga"` succeeds. */
  hasRenga(python: string[]): boolean;
  which(name: string): string | undefined;
}

/** The `source` of a server found in the extension's own environment. */
export const OWN_ENVIRONMENT = "the extension's own environment";

/** How to install from a checkout when this build has no wheel (a development build). */
export const FROM_CHECKOUT = "`pip install .` in a checkout of the renga repository";

/** Where machine-specific settings go in a remote window: User settings reach the remote too
 * (the settings are window-scoped), and Remote settings override them there. */
function settingsHint(remote: string | undefined): string {
  return remote
    ? ` In this remote window (${remote}) paths are on the remote machine: set them in your User settings or in the Remote settings (Preferences: Open Remote Settings).`
    : "";
}

export function locateServer(input: LocateInput, probe: Probe): ServerCommand | NotFound {
  const configured = input.path.trim();
  if (configured) {
    if (probe.isExecutable(configured)) {
      return { command: configured, args: ["serve"], source: "setting renga.server.path" };
    }
    return {
      message: `renga: renga.server.path is set to ${configured}, which is not an executable file.${settingsHint(input.remote)}`,
      fixes: [{ label: "Open Setting", setting: "renga.server.path" }],
    };
  }
  const interpreter = input.interpreter.filter((a) => a.trim() !== "");
  if (interpreter.length > 0) {
    if (probe.hasRenga(interpreter)) {
      return {
        command: interpreter[0],
        args: [...interpreter.slice(1), "-m", "renga", "serve"],
        source: "setting renga.server.interpreter",
      };
    }
    const fixes: Fix[] = input.canInstall ? [{ label: "Install renga There", install: interpreter }] : [];
    fixes.push({ label: "Open Setting", setting: "renga.server.interpreter" });
    return {
      message:
        `renga: the interpreter in renga.server.interpreter (${interpreter.join(" ")}) cannot import renga.` +
        (input.canInstall ? "" : ` Install it there with ${FROM_CHECKOUT}.`) +
        settingsHint(input.remote),
      fixes,
    };
  }
  if (input.pythonEnvironment && probe.hasRenga([input.pythonEnvironment])) {
    return {
      command: input.pythonEnvironment,
      args: ["-m", "renga", "serve"],
      source: "the Python extension's active environment",
    };
  }
  const onPath = probe.which("renga");
  if (onPath) {
    return { command: onPath, args: ["serve"], source: "PATH" };
  }
  if (input.installed) {
    return { command: input.installed, args: ["serve"], source: OWN_ENVIRONMENT };
  }
  const fixes: Fix[] = [];
  if (input.canInstall) {
    fixes.push({ label: "Install renga", install: "private" });
    if (input.pythonEnvironment) {
      fixes.push({ label: "Install in Active Python Environment", install: [input.pythonEnvironment] });
    }
  }
  fixes.push({ label: "Set Path", setting: "renga.server.path" });
  const where = input.pythonEnvironment
    ? `in the active Python environment (${input.pythonEnvironment}) or on PATH`
    : "on PATH (and the Python extension is not installed)";
  const how = input.canInstall
    ? "Install it into a private environment of this extension (needs Python 3.11+; its dependencies come from PyPI)"
    : `Install it with ${FROM_CHECKOUT}`;
  return {
    message: `renga: the renga language server was not found ${where}. ${how}, or set renga.server.path or renga.server.interpreter.${settingsHint(input.remote)}`,
    fixes,
  };
}

export function isNotFound(result: ServerCommand | NotFound): result is NotFound {
  return (result as NotFound).fixes !== undefined;
}

/** The real probe: the file system, PATH and a short-lived Python process. */
export function systemProbe(env: NodeJS.ProcessEnv = process.env): Probe {
  const isExecutable = (file: string): boolean => {
    try {
      if (!fs.statSync(file).isFile()) return false;
      fs.accessSync(file, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  return {
    isExecutable,
    hasRenga(python: string[]): boolean {
      const [command, ...args] = python;
      const result = spawnSync(command, [...args, "-c", "import renga"], {
        timeout: 15000,
        stdio: "ignore",
        env,
      });
      return result.status === 0;
    },
    which(name: string): string | undefined {
      const suffixes =
        process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD").split(";") : [""];
      for (const dir of (env.PATH ?? "").split(path.delimiter)) {
        if (!dir) continue;
        for (const suffix of suffixes) {
          const candidate = path.join(dir, name + suffix);
          if (isExecutable(candidate)) return candidate;
        }
      }
      return undefined;
    },
  };
}
