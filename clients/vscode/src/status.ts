/** What the status bar item shows for a `renga/status` notification. */

export interface RengaStatus {
  state: "ready" | "busy" | "warning" | "error" | "inactive" | string;
  message?: string;
  spendTodayUsd?: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
  severity: "normal" | "warning" | "error";
}

const ICONS: Record<string, string> = {
  starting: "$(loading~spin)",
  ready: "$(sparkle)",
  busy: "$(loading~spin)",
  warning: "$(warning)",
  error: "$(error)",
  inactive: "$(circle-slash)",
  stopped: "$(debug-disconnect)",
};

export function formatUsd(value: number): string {
  return value > 0 && value < 0.01 ? "<$0.01" : `$${value.toFixed(2)}`;
}

export function statusView(status: RengaStatus, completionsEnabled: boolean): StatusView {
  const spend = typeof status.spendTodayUsd === "number" ? status.spendTodayUsd : undefined;
  const icon = completionsEnabled || status.state !== "ready" ? ICONS[status.state] ?? "$(question)" : "$(circle-slash)";
  const text = `${icon} renga${spend !== undefined ? ` ${formatUsd(spend)}` : ""}`;
  const lines = [`renga: ${status.state}${status.message ? ` — ${status.message}` : ""}`];
  if (spend !== undefined) lines.push(`Spent today: ${formatUsd(spend)}`);
  lines.push(`Completions: ${completionsEnabled ? "on" : "off"}`, "Click for renga's commands.");
  const severity =
    status.state === "error" ? "error" : status.state === "warning" || status.state === "inactive" ? "warning" : "normal";
  return { text, tooltip: lines.join("\n"), severity };
}
