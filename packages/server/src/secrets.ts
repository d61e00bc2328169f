import { type KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { LaasError, type SecretCodec } from '@laas/core';
import type { Logger } from 'pino';
import { open, seal } from './channels/whatsapp/secret-box.js';

/** A sealed value starts with the envelope's version; anything else was stored in clear. */
const SEALED = /^v1\./;

/**
 * The engine's {@link SecretCodec} for this server: AES-256-GCM with `LAAS_SECRET_KEY`. Without a
 * key nothing new can be sealed (409 naming the variable: the request is right and succeeds once
 * the server has a key); a value stored in clear before secrets were sealed still opens as is.
 */
export function secretCodec(key: KeyObject | undefined): SecretCodec {
  const missing = () =>
    new LaasError(
      'STATE_CONFLICT',
      'This server has no LAAS_SECRET_KEY, which encrypts the secrets it keeps (webhook signing secrets): ' +
        'set it (32 bytes as 64 hex characters, e.g. `openssl rand -hex 32`) and restart the server',
      { missing: 'LAAS_SECRET_KEY' },
    );
  return {
    seal(plain, purpose) {
      if (key === undefined) throw missing();
      return seal(key, plain, purpose);
    },
    open(stored, purpose) {
      if (!SEALED.test(stored)) return stored;
      if (key === undefined) throw missing();
      return open(key, stored, purpose);
    },
  };
}

/**
 * The key of a SQLite server started without `LAAS_SECRET_KEY`, so that the quick start keeps its
 * secrets sealed with nothing to configure: generated once into `<database file>.secret-key`
 * (mode 0600, beside the database, and to be backed up with it), read again on every later start.
 */
export function loadOrCreateKeyFile(databaseFile: string, logger: Logger): string {
  const file = `${databaseFile}.secret-key`;
  const read = () => {
    const key = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(key)) {
      throw new Error(
        `${file} does not hold a key (64 hex characters): restore it from the backup of this database, or set LAAS_SECRET_KEY`,
      );
    }
    return key;
  };
  if (existsSync(file)) {
    logger.info({ file }, 'LAAS_SECRET_KEY is not set: using the key in the file beside the database');
    return read();
  }
  const key = randomBytes(32).toString('hex');
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // `laas serve` and `laas worker` starting together on a new database: the other one wrote it.
    if ((error as { code?: string }).code === 'EEXIST') return read();
    throw error;
  }
  chmodSync(file, 0o600);
  logger.info(
    { file },
    'LAAS_SECRET_KEY is not set: generated a key into a file beside the database (keep it with the database; set LAAS_SECRET_KEY to use your own)',
  );
  return key;
}
