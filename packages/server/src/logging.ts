import pino, { type Logger } from 'pino';

/** The default logger: JSON lines on stdout, level from `LAAS_LOG_LEVEL` (default `info`). */
export function createLogger(level = process.env.LAAS_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: 'laas-server' }, timestamp: pino.stdTimeFunctions.isoTime });
}

const PHONE_RE = /\+?\d[\d ()-]{6,}\d/g;

/**
 * Masks phone numbers in free text (error messages may quote one): `+263771234567` becomes
 * `+2637******67`. Logs never carry bodies, so this is the only PII that could slip in.
 */
export function maskPhones(text: string): string {
  return text.replace(PHONE_RE, (phone) => {
    const digits = phone.replace(/\D/g, '');
    if (digits.length < 7) return phone;
    return `${phone.startsWith('+') ? '+' : ''}${digits.slice(0, 4)}${'*'.repeat(digits.length - 6)}${digits.slice(-2)}`;
  });
}
