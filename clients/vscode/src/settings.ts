/**
 * The settings renga's server reads, as the editor sends them: nested under `renga`, camelCase,
 * and only those the user actually set. Sending VS Code's defaults would override the server's
 * environment variables (ANTHROPIC_BASE_URL, RENGA_DEBOUNCE_MS, ...) with the same defaults the
 * server already has; sending the client's own settings (server.path, trace.server) would make
 * the server warn about unknown keys.
 */

export const SECTION = "renga";

/** Settings only the extension reads, never sent to the server. */
const CLIENT_ONLY = ["server.", "trace."];

export interface Inspected {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** Keys below `renga.` that belong to the server, from the extension's contributed settings. */
export function serverSettingKeys(properties: Record<string, unknown>): string[] {
  return Object.keys(properties)
    .filter((key) => key.startsWith(`${SECTION}.`))
    .map((key) => key.slice(SECTION.length + 1))
    .filter((key) => !CLIENT_ONLY.some((prefix) => key.startsWith(prefix)));
}

/** The explicitly set values of `keys`, nested by their dots: `completion.debounceMs` -> `{completion: {debounceMs}}`. */
export function explicitSettings(
  keys: string[],
  inspect: (key: string) => Inspected | undefined,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const seen = inspect(key);
    const value = seen?.workspaceFolderValue ?? seen?.workspaceValue ?? seen?.globalValue;
    // An empty string means "not set" for the string settings (baseUrl, regions): the server
    // then keeps the value from its environment.
    if (value === undefined || value === null || value === "") continue;
    const parts = key.split(".");
    let node = result;
    for (const part of parts.slice(0, -1)) {
      if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return result;
}
