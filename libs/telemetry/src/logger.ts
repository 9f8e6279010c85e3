/**
 * The process logger: pino JSON lines, with secrets removed before anything is written.
 * - Fields named like passwords are censored by pino's redact (any depth we know of).
 * - Fields holding protocol lines (`line`, `command`, `cmd`) go through redactProtocolLine, which
 *   keeps the command but hides LOGIN / AUTHENTICATE / PASS credentials and SASL responses.
 */
import { Writable } from 'node:stream';
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

const SECRET_KEYS = ['password', 'pass', 'passwd', 'secret', 'authorization', 'credentials', 'saslResponse', 'token'];
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
const CENSOR = '[REDACTED]';

/**
 * Hides credentials in one protocol line (IMAP, POP3, ManageSieve, SMTP AUTH):
 *   a1 LOGIN alice secret          → a1 LOGIN alice [REDACTED]           (RFC 3501 §6.2.3)
 *   a2 AUTHENTICATE PLAIN AGFsaWNl  → a2 AUTHENTICATE PLAIN [REDACTED]    (RFC 4959 initial response)
 *   PASS secret                     → PASS [REDACTED]                     (RFC 1939 §7)
 *   AUTH PLAIN xyz / AUTHENTICATE "PLAIN" "xyz" (SMTP, ManageSieve)       → mechanism kept, rest hidden
 * A bare base64 line (a SASL continuation response) is hidden entirely: the logger cannot know
 * whether it follows a "+" challenge, so any line that looks like one is treated as secret.
 */
export function redactProtocolLine(line: unknown): unknown {
  if (typeof line !== 'string') return line;
  let m = /^(\S+\s+(?:UID\s+)?LOGIN\s+)("(?:[^"\\]|\\.)*"|\{\d+\+?\}|\S+)(\s.*)?$/is.exec(line);
  if (m) return `${m[1]}${m[2]}${m[3] !== undefined ? ` ${CENSOR}` : ''}`;
  m = /^((?:\S+\s+)?(?:AUTHENTICATE|AUTH)\s+"?[A-Za-z0-9_-]+"?)(\s.*)?$/is.exec(line);
  if (m) return `${m[1]}${m[2] !== undefined ? ` ${CENSOR}` : ''}`;
  m = /^((?:\S+\s+)?PASS\s).*$/is.exec(line);
  if (m) return `${m[1]}${CENSOR}`;
  if (/^[A-Za-z0-9+/]{4,}={0,2}\r?\n?$/.test(line) || /^=\r?\n?$/.test(line)) return CENSOR;
  return line;
}

export interface LoggerOptions {
  level?: string;
  /** One readable line per event instead of JSON (for a terminal). */
  pretty?: boolean;
  /** Where to write; default stdout. Tests pass a stream to capture output. */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Bound to every line (e.g. { service: 'mail' }). */
  base?: Record<string, unknown>;
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A minimal pretty printer (pino-pretty is not a dependency): "12:00:00.000 INFO msg key=value". */
export function prettyStream(out: NodeJS.WritableStream): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          const o = JSON.parse(line) as Record<string, unknown>;
          const { time, level, msg, pid: _pid, hostname: _h, ...rest } = o;
          const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
          const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
          out.write(`${t} ${(LEVELS[level as number] ?? String(level)).padEnd(5)} ${msg ?? ''}${extra ? ` ${extra}` : ''}\n`);
        } catch {
          out.write(`${line}\n`);
        }
      }
      cb();
    },
  });
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const out = opts.destination ?? process.stdout;
  const dest = opts.pretty ? prettyStream(out as NodeJS.WritableStream) : out;
  return pino({
    level: opts.level ?? 'info',
    base: opts.base ?? { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    serializers: { line: redactProtocolLine, command: redactProtocolLine, cmd: redactProtocolLine, err: pino.stdSerializers.err },
  }, dest as DestinationStream);
}
