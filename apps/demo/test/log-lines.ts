import type { DestinationStream } from 'pino';

/** One JSON line the demo logged, parsed. */
export interface LogEntry {
  level: string;
  time: string;
  component?: string;
  msg: string;
  [field: string]: unknown;
}

/** A pino destination that keeps every line it is given, for a test to read. */
export interface LineSink extends DestinationStream {
  readonly lines: string[];
}

/** Makes a {@link LineSink}. */
export function createLineSink(): LineSink {
  const lines: string[] = [];
  return {
    lines,
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') lines.push(line);
    },
  };
}

/** The plain line scripts wait for; every other line the demo writes is JSON. */
export const LISTENING_LINE = /^listening on http:\/\/\S+$/;

/**
 * Parses every line but the listening line as one JSON object, and throws, naming the line's
 * number (not its text, which could hold what the test looks for), on one that is not.
 */
export function parseLogLines(lines: readonly string[]): LogEntry[] {
  return lines.flatMap((line, index) => {
    if (LISTENING_LINE.test(line)) return [];
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      throw new Error(`log line ${index} is not JSON`);
    }
    if (typeof entry !== 'object' || entry === null || typeof (entry as LogEntry).msg !== 'string') {
      throw new Error(`log line ${index} is not a pino entry with a message`);
    }
    return [entry as LogEntry];
  });
}

/** The messages of the JSON lines among `lines`. */
export function logMessages(lines: readonly string[]): string[] {
  return parseLogLines(lines).map((entry) => entry.msg);
}
