import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A database file path in the OS temp directory, and a function deleting it (with -wal, -shm). */
export function tempDatabase(): { filename: string; remove: () => void } {
  const filename = join(tmpdir(), `laas-sqlite-test-${randomUUID()}.sqlite`);
  return {
    filename,
    remove: () => {
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(filename + suffix, { force: true });
    },
  };
}
