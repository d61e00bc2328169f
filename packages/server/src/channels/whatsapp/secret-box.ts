/**
 * Encryption of the secrets the database keeps (a tenant's WhatsApp access token and app secret),
 * with the server's `LAAS_SECRET_KEY`. Written here on purpose: AES-256-GCM from `node:crypto` is
 * twenty lines, and no library would fit better than the platform's own primitive (each would
 * wrap exactly these calls, plus a dependency to audit).
 *
 * Envelope: `v1.<iv>.<tag>.<ciphertext>`, each part base64url; a 12-byte random IV per secret;
 * the additional data binds the envelope to its purpose (tenant and field), so a ciphertext
 * copied into another tenant's row or another field does not open.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * `LAAS_SECRET_KEY` as a key: 32 bytes written as 64 hex characters or as base64 (standard or
 * url-safe). Anything else throws, naming the variable (the server refuses to start).
 */
export function parseSecretKey(value: string): KeyObject {
  const text = value.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) bytes = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) bytes = Buffer.from(text, 'base64');
  if (bytes === undefined || bytes.length !== 32) {
    throw new Error(
      'LAAS_SECRET_KEY must be 32 bytes written as 64 hex characters or base64 ' +
        '(generate one with: openssl rand -hex 32)',
    );
  }
  return createSecretKey(bytes);
}

/** Encrypts `plaintext` for `purpose` (e.g. `whatsapp.access_token:<tenant id>`). */
export function seal(key: KeyObject, plaintext: string, purpose: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(purpose, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
  return [VERSION, ...parts].join('.');
}

/**
 * Decrypts an envelope of {@link seal}. Throws when the envelope is malformed, was sealed for
 * another purpose, or with another key (the authentication tag does not match).
 */
export function open(key: KeyObject, envelope: string, purpose: string): string {
  const [version, iv, tag, ciphertext, ...rest] = envelope.split('.');
  if (
    version !== VERSION ||
    iv === undefined ||
    tag === undefined ||
    ciphertext === undefined ||
    rest.length > 0
  ) {
    throw new Error('not a secret envelope of this server');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(purpose, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new Error('the secret does not open with LAAS_SECRET_KEY (another key, or tampered)');
  }
}
