// The server's stderr lines, sorted into log levels for the `kg-ls` output channel. No `vscode`
// import, so that the node tests in ../test can load the compiled module.
//
// kg-ls logs with `tracing`: `2026-01-01T12:00:00.000000Z  INFO kg_ls::lsp: message`.
// vscode-languageclient would log every stderr line as an error, so the output showed
// `[error] … INFO …`. A line in that format keeps its own level (its timestamp goes, the
// channel adds one); any other line, such as a panic's, stays an error.

/** The levels of a log output channel that a server line can have. */
export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<string, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** `tracing`'s default format: a timestamp, the level, the rest; colour codes aside. */
const TRACING = /^\s*(?:\d{4}-\d\d-\d\dT[\d:.]+Z?\s+)?(TRACE|DEBUG|INFO|WARN|ERROR)\s+(.*)$/;

/** The level of one stderr line and the text to log. */
export function serverLogLine(line: string): { level: Level; text: string } {
  // eslint-disable-next-line no-control-regex
  const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
  const m = TRACING.exec(plain);
  return m ? { level: LEVELS[m[1]], text: m[2] } : { level: 'error', text: plain };
}
