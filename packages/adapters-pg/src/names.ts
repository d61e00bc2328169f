/** The default schema of the tables. */
export const DEFAULT_SCHEMA = 'laas';
/** The default application role: the one the store connects as. */
export const DEFAULT_APP_ROLE = 'laas_app';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Schema and role names are interpolated into DDL, so only plain lower-case identifiers are
 * accepted (no quoting games).
 */
export function checkIdentifier(kind: string, name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`${kind} name ${JSON.stringify(name)} must match ${IDENTIFIER.source}`);
  }
  return name;
}

/** `name` as a quoted SQL identifier (after {@link checkIdentifier}). */
export function quoted(name: string): string {
  return `"${name}"`;
}
