/**
 * The renga extension: starts `renga serve` over stdio and lets vscode-languageclient turn its
 * LSP answers into VS Code features (inline completions are built into languageclient 10).
 * Around that: finding the server, the settings it reads, a status bar item fed by the
 * `renga/status` notification, and commands for refactors, usage, restart and completions.
 */
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

import { isNotFound, locateServer, NotFound, ServerCommand, systemProbe } from "./locate";
import { explicitSettings, SECTION, serverSettingKeys } from "./settings";
import { RengaStatus, statusView } from "./status";

let client: LanguageClient | undefined;
let status: vscode.StatusBarItem;
let lastStatus: RengaStatus = { state: "starting" };
let log: vscode.LogOutputChannel;
let extension: vscode.ExtensionContext;

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

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration(SECTION)) return;
      renderStatus();
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
  await start();
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

async function findServer(): Promise<ServerCommand | NotFound> {
  const config = vscode.workspace.getConfiguration(SECTION);
  return locateServer(
    {
      path: config.get<string>("server.path", ""),
      interpreter: config.get<string[]>("server.interpreter", []),
      pythonEnvironment: await pythonEnvironment(),
    },
    systemProbe(),
  );
}

async function reportNotFound(problem: NotFound): Promise<void> {
  log.error(problem.message);
  lastStatus = { state: "error", message: "renga language server not found" };
  renderStatus();
  const choice = await vscode.window.showErrorMessage(
    problem.message,
    ...problem.fixes.map((f) => f.label),
  );
  const fix = problem.fixes.find((f) => f.label === choice);
  if (fix?.setting) {
    await vscode.commands.executeCommand("workbench.action.openSettings", fix.setting);
  } else if (fix?.shell) {
    const terminal = vscode.window.createTerminal("renga: install");
    terminal.show();
    terminal.sendText(fix.shell);
    const again = await vscode.window.showInformationMessage(
      "renga: when the install has finished, start the server.",
      "Start renga",
    );
    if (again) await restart();
  }
}

async function start(): Promise<void> {
  const found = await findServer();
  if (isNotFound(found)) {
    await reportNotFound(found);
    return;
  }
  log.info(`starting ${found.command} ${found.args.join(" ")} (found through ${found.source})`);
  const extraEnv = vscode.workspace.getConfiguration(SECTION).get<Record<string, string>>("server.env", {});
  const serverOptions: ServerOptions = {
    command: found.command,
    args: found.args,
    transport: TransportKind.stdio,
    options: { env: { ...process.env, ...extraEnv } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: languages().flatMap((language) => [
      { scheme: "file", language },
      { scheme: "untitled", language },
    ]),
    outputChannel: log,
    traceOutputChannel: log,
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
  client.onNotification("renga/status", (params: RengaStatus) => {
    lastStatus = params;
    renderStatus();
  });
}

async function restart(): Promise<void> {
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.stop();
    } catch (error) {
      log.warn(`stopping the server: ${String(error)}`);
    }
  }
  await start();
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
