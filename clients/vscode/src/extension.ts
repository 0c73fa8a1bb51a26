/**
 * The renga extension: starts `renga serve` over stdio and lets vscode-languageclient turn its
 * LSP answers into VS Code features (inline completions are built into languageclient 10).
 * Around that: finding the server (or installing it, install.ts), the API key kept in VS Code's
 * SecretStorage, the settings it reads, a status bar item fed by the `renga/status`
 * notification, and commands for refactors, usage, restart and completions.
 */
import * as vscode from "vscode";
import * as readline from "node:readline";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  MessageType,
  ServerOptions,
  ShowMessageNotification,
  State,
  TransportKind,
} from "vscode-languageclient/node";

import { bundledWheel, installedServer, installInto, installServer, spawnRun, wheelDigest } from "./install";
import { Fix, isNotFound, locateServer, NotFound, OWN_ENVIRONMENT, ServerCommand, systemProbe } from "./locate";
import { placeRecord, serverLogReader } from "./serverlog";
import { explicitSettings, SECTION, serverSettingKeys } from "./settings";
import { RengaStatus, statusView } from "./status";

let client: LanguageClient | undefined;
let status: vscode.StatusBarItem;
let lastStatus: RengaStatus = { state: "starting" };
let log: vscode.LogOutputChannel;
let extension: vscode.ExtensionContext;
/** The key the running server was started with (to restart only when it changes). */
let serverKey: string | undefined;
/** Starts, stops and installs run one at a time. */
let queue: Promise<unknown> = Promise.resolve();

/** The SecretStorage entry of the Anthropic API key; given to the server as ANTHROPIC_API_KEY. */
export const KEY_SECRET = "renga.anthropicApiKey";

// Server-side commands (the server lists them in executeCommandProvider; languageclient registers
// VS Code commands under these ids, so the extension's own commands use renga.client.*).
const SERVER_REFACTOR = "renga.refactor";
const SERVER_REFACTOR_WORKSPACE = "renga.refactorWorkspace";
const SERVER_USAGE = "renga.usage";

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = context;
  log = vscode.window.createOutputChannel("renga", { log: true });
  status = vscode.window.createStatusBarItem("renga.status", vscode.StatusBarAlignment.Right, 100);
  status.name = "renga";
  status.command = "renga.client.menu";
  renderStatus();
  status.show();
  context.subscriptions.push(log, status);

  const command = (id: string, run: (...args: unknown[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  command("renga.client.refactor", refactorSelection);
  command("renga.client.refactorWorkspace", refactorWorkspace);
  command("renga.client.showUsage", showUsage);
  command("renga.client.restart", restart);
  command("renga.client.enableCompletions", () => setCompletions(true));
  command("renga.client.disableCompletions", () => setCompletions(false));
  command("renga.client.toggleCompletions", () => setCompletions(!completionsEnabled()));
  command("renga.client.showLog", () => log.show());
  command("renga.client.menu", showMenu);
  command("renga.client.setApiKey", setApiKey);
  command("renga.client.clearApiKey", clearApiKey);
  command("renga.client.installServer", () => serialized(() => installAndStart("private")));
  // A key set or cleared in another window reaches this one's server too.
  context.subscriptions.push(
    context.secrets.onDidChange((event) => {
      if (event.key === KEY_SECRET) void restartIfKeyChanged();
    }),
  );

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration(SECTION)) return;
      renderStatus();
      if (event.affectsConfiguration(`${SECTION}.trace.server`)) traceLevelChanged.fire(traceLevel());
      if (event.affectsConfiguration(`${SECTION}.server`)) {
        await restart();
      } else if (client?.state === State.Running) {
        // Pushed whole: the server merges them over its current settings.
        await client.sendNotification(DidChangeConfigurationNotification.type, {
          settings: { [SECTION]: serverSettings() },
        });
      }
    }),
  );
  await serialized(start);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

// -- the server ----------------------------------------------------------------------------------

function languages(): string[] {
  const events: string[] = extension.extension.packageJSON.activationEvents ?? [];
  return events.filter((e) => e.startsWith("onLanguage:")).map((e) => e.slice("onLanguage:".length));
}

function serverSettings(scope?: vscode.Uri): Record<string, unknown> {
  const properties = extension.extension.packageJSON.contributes?.configuration?.properties ?? {};
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return explicitSettings(serverSettingKeys(properties), (key) => config.inspect(key));
}

async function pythonEnvironment(): Promise<string | undefined> {
  const python = vscode.extensions.getExtension("ms-python.python");
  if (!python) return undefined;
  try {
    const api = (python.isActive ? python.exports : await python.activate()) as PythonApi;
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const envPath = api?.environments?.getActiveEnvironmentPath(resource);
    if (envPath) {
      const env = await api.environments!.resolveEnvironment(envPath);
      const executable = env?.executable?.uri?.fsPath;
      if (executable) return executable;
    }
    return api?.settings?.getExecutionDetails?.(resource)?.execCommand?.[0];
  } catch (error) {
    log.warn(`the Python extension did not give its environment: ${String(error)}`);
    return undefined;
  }
}

/** The parts of the Python extension's API that are read here. */
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(env: { path: string }): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: { getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] } };
}

function storage(): string {
  return extension.globalStorageUri.fsPath;
}

async function findServer(): Promise<ServerCommand | NotFound> {
  const config = vscode.workspace.getConfiguration(SECTION);
  return locateServer(
    {
      path: config.get<string>("server.path", ""),
      interpreter: config.get<string[]>("server.interpreter", []),
      pythonEnvironment: await pythonEnvironment(),
      installed: installedServer(storage())?.renga,
      canInstall: bundledWheel(extension.extensionPath) !== undefined,
      remote: vscode.env.remoteName,
    },
    systemProbe(),
  );
}

/** Runs `work` after every start, stop or install asked for before it. */
function serialized<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

async function reportNotFound(problem: NotFound): Promise<void> {
  log.error(problem.message);
  lastStatus = { state: "error", message: "renga language server not found" };
  renderStatus();
  // Not awaited: the answer may come much later, and the queue must not wait for it.
  void vscode.window.showErrorMessage(problem.message, ...problem.fixes.map((f) => f.label)).then((choice) => {
    const fix = problem.fixes.find((f) => f.label === choice);
    if (fix?.setting) {
      void vscode.commands.executeCommand("workbench.action.openSettings", fix.setting);
    } else if (fix?.install) {
      void serialized(() => installAndStart(fix.install!));
    }
  });
}

/** Installs the bundled wheel (with a progress notification), then starts the server. */
async function installAndStart(target: NonNullable<Fix["install"]>): Promise<void> {
  const wheel = bundledWheel(extension.extensionPath);
  if (!wheel) {
    void vscode.window.showErrorMessage("renga: this build of the extension carries no renga wheel to install (build it with `npm run package`).");
    return;
  }
  await stopClient();
  log.info(`installing ${wheel} into ${target === "private" ? "the extension's own environment" : target.join(" ")}`);
  lastStatus = { state: "starting", message: "installing the renga server" };
  renderStatus();
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "renga: installing the server" },
    async (progress): Promise<{ error?: string }> => {
      const onLine = (line: string) => log.info(`install: ${line}`);
      try {
        if (target !== "private") return await installInto(target, wheel, spawnRun, onLine);
        const installed = await installServer({
          storage: storage(),
          wheel,
          run: spawnRun,
          report: (message) => {
            log.info(`install: ${message}`);
            progress.report({ message });
          },
          onLine,
        });
        return "error" in installed ? installed : {};
      } catch (error) {
        // A process that could not start, a storage folder that cannot be written.
        return { error: `installing failed: ${messageOf(error)}` };
      }
    },
  );
  if (result.error) {
    log.error(result.error);
    lastStatus = { state: "error", message: "installing the server failed (see the renga log)" };
    renderStatus();
    void vscode.window.showErrorMessage(`renga: ${result.error}`, "Show Log").then((choice) => choice && log.show());
    return;
  }
  log.info("install: done");
  await start();
}

/** Whether the extension was updated (or rebuilt) since it installed its own copy. */
function ownCopyIsStale(): boolean {
  const wheel = bundledWheel(extension.extensionPath);
  const installed = installedServer(storage());
  return wheel !== undefined && installed !== undefined && installed.digest !== wheelDigest(wheel);
}

/** The trace channel languageclient writes LSP messages to: it reports the Trace log level
 * exactly when `renga.trace.server` is on (languageclient traces only at that level), and
 * writes into the renga log. */
const traceLevelChanged = new vscode.EventEmitter<vscode.LogLevel>();

function traceLevel(): vscode.LogLevel {
  const setting = vscode.workspace.getConfiguration(SECTION).get<string>("trace.server", "off");
  return setting === "off" ? vscode.LogLevel.Off : vscode.LogLevel.Trace;
}

function traceChannel(): vscode.LogOutputChannel {
  return {
    name: log.name,
    get logLevel() {
      return traceLevel();
    },
    onDidChangeLogLevel: traceLevelChanged.event,
    trace: (message: string) => log.info(message),
    debug: (message: string) => log.info(message),
    info: (message: string) => log.info(message),
    warn: (message: string) => log.warn(message),
    error: (message: string | Error) => log.error(message),
    append: (value: string) => log.append(value),
    appendLine: (value: string) => log.appendLine(value),
    replace: (value: string) => log.replace(value),
    clear: () => log.clear(),
    show: (preserveFocus?: boolean) => log.show(preserveFocus),
    hide: () => log.hide(),
    dispose: () => undefined,
  } as vscode.LogOutputChannel;
}

async function start(): Promise<void> {
  const found = await findServer();
  if (isNotFound(found)) {
    await reportNotFound(found);
    return;
  }
  if (found.source === OWN_ENVIRONMENT && ownCopyIsStale()) {
    log.info("this extension carries a different renga than the one it installed: reinstalling");
    await installAndStart("private");
    return;
  }
  log.info(`starting ${found.command} ${found.args.join(" ")} (found through ${found.source})`);
  const extraEnv = vscode.workspace.getConfiguration(SECTION).get<Record<string, string>>("server.env", {});
  const key = await extension.secrets.get(KEY_SECRET);
  serverKey = key;
  const serverOptions: ServerOptions = {
    command: found.command,
    args: found.args,
    transport: TransportKind.stdio,
    // The key set with "Renga: Set API Key" wins over one in the environment VS Code started
    // from. It goes only into the server's environment: never into settings or the log.
    options: { env: { ...process.env, ...extraEnv, ...(key ? { ANTHROPIC_API_KEY: key } : {}) } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: languages().flatMap((language) => [
      { scheme: "file", language },
      { scheme: "untitled", language },
    ]),
    outputChannel: log,
    traceOutputChannel: traceChannel(),
    stdioOptions: {
      stdout: (input) => readline.createInterface({ input, crlfDelay: Infinity }).on("line", (line) => log.info(line)),
      stderr: (input) => {
        const read = serverLogReader();
        readline.createInterface({ input, crlfDelay: Infinity }).on("line", (line) => {
          const { level, text } = placeRecord(read(line), log.logLevel);
          log[level](text);
        });
      },
    },
    initializationOptions: {
      [SECTION]: serverSettings(),
      editorInfo: { name: vscode.env.appName, version: vscode.version },
      editorPluginInfo: { name: "renga-vscode", version: extension.extension.packageJSON.version },
    },
    middleware: {
      workspace: {
        configuration: (params, token, next) =>
          params.items.some((item) => item.section === SECTION)
            ? params.items.map((item) =>
                item.section === SECTION
                  ? serverSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
                  : vscode.workspace.getConfiguration(item.section ?? undefined),
              )
            : next(params, token),
      },
    },
  };
  client = new LanguageClient("renga", "renga", serverOptions, clientOptions);
  client.onDidChangeState((event) => {
    if (event.newState === State.Stopped) {
      lastStatus = { state: "stopped", message: "the server stopped (see the renga log)" };
      renderStatus();
    }
  });
  // Registered before start() so they replace languageclient's own handlers from the first
  // message on.
  client.onNotification("renga/status", (params: RengaStatus) => {
    lastStatus = params;
    renderStatus();
  });
  // Replaces languageclient's own handler: a message about the key gets a button that sets it.
  client.onNotification(ShowMessageNotification.type, (params) => {
    const show =
      params.type === MessageType.Error
        ? vscode.window.showErrorMessage
        : params.type === MessageType.Warning
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
    if (/ANTHROPIC_API_KEY|x-api-key/i.test(params.message)) {
      void show(params.message, "Set API Key").then((choice) => choice && setApiKey());
    } else {
      void show(params.message);
    }
  });
  lastStatus = { state: "starting" };
  renderStatus();
  try {
    await client.start();
  } catch (error) {
    log.error(`the server did not start: ${String(error)}`);
    lastStatus = { state: "error", message: `did not start: ${String(error)}` };
    renderStatus();
    void vscode.window.showErrorMessage(`renga: the server did not start: ${String(error)}`, "Show Log").then(
      (choice) => choice && log.show(),
    );
    return;
  }
  const info = client.initializeResult?.serverInfo;
  log.info(`started ${info?.name ?? "renga"} ${info?.version ?? ""}`);
}

async function stopClient(): Promise<void> {
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.stop();
    } catch (error) {
      log.warn(`stopping the server: ${String(error)}`);
    }
  }
}

function restart(): Promise<void> {
  return serialized(async () => {
    await stopClient();
    await start();
  });
}

function restartIfKeyChanged(): Promise<void> {
  return serialized(async () => {
    if ((await extension.secrets.get(KEY_SECRET)) === serverKey || !client) return;
    await stopClient();
    await start();
  });
}

// -- the API key ---------------------------------------------------------------------------------

async function setApiKey(): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: "renga: Anthropic API key",
    prompt: "Kept in VS Code's secret storage and given to the renga server as ANTHROPIC_API_KEY.",
    placeHolder: "sk-ant-...",
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (/\s/.test(value.trim()) ? "An API key has no spaces." : undefined),
  });
  if (!key?.trim()) return;
  await extension.secrets.store(KEY_SECRET, key.trim());
  log.info("API key set (kept in VS Code's secret storage); restarting the server");
  await restartIfKeyChanged();
  void vscode.window.setStatusBarMessage("renga: API key set", 3000);
}

async function clearApiKey(): Promise<void> {
  await extension.secrets.delete(KEY_SECRET);
  log.info("API key cleared from VS Code's secret storage; restarting the server");
  await restartIfKeyChanged();
}

// -- status bar ----------------------------------------------------------------------------------

function completionsEnabled(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>("completion.enabled", true);
}

function renderStatus(): void {
  const view = statusView(lastStatus, completionsEnabled());
  status.text = view.text;
  status.tooltip = view.tooltip;
  status.backgroundColor =
    view.severity === "normal" ? undefined : new vscode.ThemeColor(`statusBarItem.${view.severity}Background`);
}

async function showMenu(): Promise<void> {
  const items: (vscode.QuickPickItem & { command: string })[] = [
    {
      label: completionsEnabled() ? "$(circle-slash) Disable Completions" : "$(sparkle) Enable Completions",
      command: "renga.client.toggleCompletions",
    },
    { label: "$(edit) Refactor Selection with Instruction…", command: "renga.client.refactor" },
    { label: "$(files) Refactor Workspace with Instruction…", command: "renga.client.refactorWorkspace" },
    { label: "$(graph) Show Usage and Spend", command: "renga.client.showUsage" },
    { label: "$(key) Set API Key…", command: "renga.client.setApiKey" },
    { label: "$(debug-restart) Restart Server", command: "renga.client.restart" },
    { label: "$(output) Show Log", command: "renga.client.showLog" },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: "renga", placeHolder: lastStatus.message });
  if (picked) await vscode.commands.executeCommand(picked.command);
}

async function setCompletions(enabled: boolean): Promise<void> {
  // The change listener pushes it to the server.
  await vscode.workspace
    .getConfiguration(SECTION)
    .update("completion.enabled", enabled, vscode.ConfigurationTarget.Global);
  void vscode.window.setStatusBarMessage(`renga: completions ${enabled ? "on" : "off"}`, 3000);
}

// -- commands ------------------------------------------------------------------------------------

function running(): LanguageClient | undefined {
  if (client?.state === State.Running) return client;
  void vscode.window.showWarningMessage("renga: the server is not running.", "Restart", "Show Log").then(
    (choice) => (choice === "Restart" ? restart() : choice && log.show()),
  );
  return undefined;
}

async function serverCommand(title: string, command: string, args: unknown[]): Promise<unknown> {
  const c = running();
  if (!c) return undefined;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (_progress, token) => {
      try {
        return await c.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token);
      } catch (error) {
        if (token.isCancellationRequested) return undefined;
        void vscode.window.showErrorMessage(`renga: ${title.replace(/…$/, "")} failed: ${messageOf(error)}`);
        return undefined;
      }
    },
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function reportResult(result: unknown): void {
  const message =
    typeof result === "string" ? result : (result as { message?: unknown } | null)?.message;
  if (typeof message === "string" && message) void vscode.window.showInformationMessage(`renga: ${message}`);
}

async function askInstruction(prompt: string): Promise<string | undefined> {
  const instruction = await vscode.window.showInputBox({
    title: "renga",
    prompt,
    placeHolder: "e.g. extract the loop body into a helper function",
    ignoreFocusOut: true,
  });
  return instruction?.trim() || undefined;
}

async function refactorSelection(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const c = client;
  if (!editor || !c) {
    void vscode.window.showWarningMessage("renga: open a file and select the code to refactor.");
    return;
  }
  const instruction = await askInstruction(
    editor.selection.isEmpty ? "How should renga change the code at the cursor?" : "How should renga change the selection?",
  );
  if (!instruction) return;
  const target = {
    uri: c.code2ProtocolConverter.asUri(editor.document.uri),
    range: c.code2ProtocolConverter.asRange(editor.selection),
    instruction,
  };
  reportResult(await serverCommand("renga: refactoring…", SERVER_REFACTOR, [target]));
}

async function refactorWorkspace(): Promise<void> {
  const instruction = await askInstruction("How should renga change the workspace?");
  if (!instruction) return;
  reportResult(await serverCommand("renga: refactoring the workspace…", SERVER_REFACTOR_WORKSPACE, [{ instruction }]));
}

async function showUsage(): Promise<void> {
  const result = (await serverCommand("renga: reading usage…", SERVER_USAGE, [])) as { markdown?: string } | undefined;
  if (!result) return;
  const content = result.markdown ?? "```json\n" + JSON.stringify(result, null, 2) + "\n```";
  const doc = await vscode.workspace.openTextDocument({ language: "markdown", content: `# renga usage\n\n${content}\n` });
  await vscode.window.showTextDocument(doc, { preview: true });
}
