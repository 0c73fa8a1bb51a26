/**
 * The server's stderr, line by line, into the log output channel at the right level.
 *
 * renga logs `<asctime> <logger> <LEVEL> <message>` (server.serve); vscode-languageclient would
 * put every such line in the channel at error level with a second timestamp. Here the level
 * picks the channel method and the server's own timestamp is dropped (the channel adds one).
 * Lines that are not log records (a traceback's continuation) keep the level of the record they
 * follow; before any record, an unparsed line is an error (Python's own crash output).
 */

export type Level = "trace" | "debug" | "info" | "warn" | "error";

const LEVELS: Record<string, Level> = {
  TRACE: "trace",
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warn",
  ERROR: "error",
  CRITICAL: "error",
};

const RECORD =
  /^(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)? )?([A-Za-z_][\w.]*) (TRACE|DEBUG|INFO|WARNING|ERROR|CRITICAL) (.*)$/;

export interface LogLine {
  level: Level;
  text: string;
}

/** A reader for one server process (it remembers the level of the last record). */
export function serverLogReader(): (line: string) => LogLine {
  let last: Level = "error";
  return (line) => {
    const record = RECORD.exec(line);
    if (!record) return { level: last, text: line };
    last = LEVELS[record[2]];
    return { level: last, text: `${record[1]}: ${record[3]}` };
  };
}

/** Severity order of the levels, as VS Code's LogLevel numbers them (Trace 1 ... Error 5). */
const SEVERITY: Record<Level, number> = { trace: 1, debug: 2, info: 3, warn: 4, error: 5 };

/**
 * Where a record goes in a channel whose own level is `channelLevel` (vscode.LogLevel). The
 * server already filtered by `renga.logLevel`; a debug record the channel would hide (it shows
 * info and up unless the user changes it) is written at info, marked with its level, so that
 * setting `renga.logLevel` alone is enough to see it.
 */
export function placeRecord(line: LogLine, channelLevel: number): LogLine {
  if (channelLevel === 0 || SEVERITY[line.level] >= channelLevel) return line; // Off: nothing shows anyway
  return { level: "info", text: `(${line.level}) ${line.text}` };
}
