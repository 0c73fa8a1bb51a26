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
