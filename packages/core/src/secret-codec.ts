/**
 * How secrets kept in the database (webhook signing secrets) are sealed at rest. The engine seals
 * before it writes and opens after it reads; the server supplies an AES-256-GCM codec keyed by
 * `LAAS_SECRET_KEY`. `purpose` binds a sealed value to its row and field, so that a value copied
 * elsewhere does not open.
 */
export interface SecretCodec {
  seal(plain: string, purpose: string): string;
  /** Opens a sealed value; a value stored in clear before sealing existed is returned as is. */
  open(stored: string, purpose: string): string;
}

/** Keeps secrets as they are: the engine's default when no codec is given (the SDK on its own). */
export const CLEAR_SECRETS: SecretCodec = Object.freeze({
  seal: (plain: string) => plain,
  open: (stored: string) => stored,
});
