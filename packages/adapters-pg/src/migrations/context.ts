/** What a migration needs to know: where it writes. */
export interface MigrationContext {
  /** The schema, already quoted as an SQL identifier (`"laas"`). */
  schema: string;
}
