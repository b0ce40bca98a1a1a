/** One JSON line per event on stdout: what CloudWatch Logs and the tests read. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export function jsonLogger(base: LogFields, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const emit = (level: string, message: string, fields?: LogFields) =>
    write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields })}\n`);
  return {
    info: (message, fields) => emit('INFO', message, fields),
    warn: (message, fields) => emit('WARN', message, fields),
    error: (message, fields) => emit('ERROR', message, fields),
  };
}

export function errorFields(error: unknown): LogFields {
  const e = error as { name?: string; message?: string } | undefined;
  return { errorName: e?.name, errorMessage: e?.message ?? String(error) };
}

/**
 * `text` with control characters (C0, DEL, C1) escaped as \xNN: user-supplied names and POV-Ray output
 * quoted in the render log or the job record cannot forge lines or terminal sequences.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
