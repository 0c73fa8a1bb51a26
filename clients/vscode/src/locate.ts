/**
 * Finding the renga language server: the `renga.server.path` setting, else the
 * `renga.server.interpreter` setting, else the Python extension's active environment,
 * else `renga` on PATH. Pure logic; the file system and process checks come in as a Probe
 * so the order and the messages are unit-tested.
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
  /** A shell command that fixes it, run in a terminal. */
  shell?: string;
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
}

export interface Probe {
  isExecutable(file: string): boolean;
  /** Whether `python [...args] -c "import renga"` succeeds. */
  hasRenga(python: string[]): boolean;
  which(name: string): string | undefined;
}

export const INSTALL = "renga-lsp";

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'"'"'`)}'`;
}

function pipInstall(python: string[]): string {
  return [...python, "-m", "pip", "install", "--upgrade", INSTALL].map(quote).join(" ");
}

export function locateServer(input: LocateInput, probe: Probe): ServerCommand | NotFound {
  const configured = input.path.trim();
  if (configured) {
    if (probe.isExecutable(configured)) {
      return { command: configured, args: ["serve"], source: "setting renga.server.path" };
    }
    return {
      message: `renga: renga.server.path is set to ${configured}, which is not an executable file.`,
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
    return {
      message: `renga: the interpreter in renga.server.interpreter (${interpreter.join(" ")}) cannot import renga.`,
      fixes: [
        { label: "Install renga There", shell: pipInstall(interpreter) },
        { label: "Open Setting", setting: "renga.server.interpreter" },
      ],
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
  const fixes: Fix[] = [];
  if (input.pythonEnvironment) {
    fixes.push({
      label: "Install in Active Python Environment",
      shell: pipInstall([input.pythonEnvironment]),
    });
  } else {
    fixes.push({ label: "Install with pip", shell: `python3 -m pip install --user ${INSTALL}` });
  }
  fixes.push({ label: "Set Path", setting: "renga.server.path" });
  const where = input.pythonEnvironment
    ? `in the active Python environment (${input.pythonEnvironment}) or on PATH`
    : "on PATH (and the Python extension is not installed)";
  return {
    message: `renga: the renga language server was not found ${where}. Install it with \`pip install ${INSTALL}\`, or set renga.server.path or renga.server.interpreter.`,
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
