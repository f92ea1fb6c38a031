import { pino, type Logger } from 'pino';

export type { Logger };

// One JSON object per line. The redaction list keeps credentials out of the
// log when a request or client option object is logged by mistake.
export function createLogger(level: string, name = 'agent-audit'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'password', '*.password'],
      censor: '[redacted]',
    },
  });
}
