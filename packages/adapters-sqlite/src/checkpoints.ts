import type Database from 'better-sqlite3';
import type { Mutex } from './mutex.js';

export interface CheckpointOptions {
  /** A passive checkpoint at least this often (ms). Default 1000. */
  intervalMs?: number;
  /** ... and once this many COMMITs happened since the last one. Default 1000. */
  commits?: number;
  /**
   * A WAL holding more than this (bytes) after a passive checkpoint (readers kept it from being
   * checkpointed to its end) is checkpointed in full and truncated to zero (`TRUNCATE`), waiting
   * briefly for readers; so the file cannot grow without bound while readers come and go.
   * Default 64 MiB.
   */
  walLimitBytes?: number;
}

export const DEFAULT_CHECKPOINTS: Required<CheckpointOptions> = {
  intervalMs: 1000,
  commits: 1000,
  walLimitBytes: 64 * 1024 * 1024,
};

/** How long a TRUNCATE checkpoint waits for readers (ms): it holds the event loop meanwhile. */
const TRUNCATE_BUSY_MS = 100;

interface CheckpointRow {
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Frames of it now in the database file. */
  checkpointed: number;
}

/**
 * WAL checkpoints off the commit path. SQLite's automatic checkpoint runs inside the COMMIT that
 * pushes the WAL past 1,000 pages, so one transaction in every few dozen pays for copying and
 * syncing everyone's pages. Here `wal_autocheckpoint` is off and a passive checkpoint runs as a
 * turn of its own on the store's queue (never inside an open transaction or group commit), every
 * `intervalMs` or after `commits` COMMITs, whichever comes first. A page written by many
 * transactions between two checkpoints is copied once.
 */
export class Checkpointer {
  private readonly settings: Required<CheckpointOptions>;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly previousAutocheckpoint: number;
  private commits = 0;
  private queued = false;
  private stopped = false;

  constructor(
    private readonly connection: Database.Database,
    private readonly mutex: Mutex,
    options: CheckpointOptions = {},
  ) {
    this.settings = { ...DEFAULT_CHECKPOINTS, ...options };
    for (const [name, value] of Object.entries(this.settings)) {
      if (!Number.isInteger(value) || value <= 0)
        throw new TypeError(`checkpoints.${name} must be a positive integer`);
    }
    this.previousAutocheckpoint = Number(connection.pragma('wal_autocheckpoint', { simple: true }));
    connection.pragma('wal_autocheckpoint = 0');
    this.timer = setInterval(() => this.request(), this.settings.intervalMs);
    // A store the caller forgot to close must not keep the process alive.
    this.timer.unref();
  }

  /** Counts a COMMIT (called after it, with the store's mutex still held). */
  committed(): void {
    this.commits += 1;
    if (this.commits >= this.settings.commits) this.request();
  }

  /**
   * Stops the timer. On a connection the caller owns, SQLite's automatic checkpoint comes back;
   * one the store closes checkpoints itself on close.
   */
  stop(restoreAutocheckpoint: boolean): void {
    this.stopped = true;
    clearInterval(this.timer);
    if (restoreAutocheckpoint && this.connection.open) {
      this.connection.pragma(`wal_autocheckpoint = ${this.previousAutocheckpoint}`);
    }
  }

  /** Queues one checkpoint behind whatever holds the connection now. */
  private request(): void {
    if (this.queued || this.stopped) return;
    this.queued = true;
    this.mutex
      .run(() => this.checkpoint())
      .catch(() => {
        // A failed checkpoint loses nothing (the WAL keeps every committed page); the next one
        // tries again, and a failing disk shows in the transactions themselves.
      })
      .finally(() => {
        this.queued = false;
      });
  }

  private checkpoint(): void {
    if (this.stopped || !this.connection.open || this.connection.inTransaction) return;
    this.commits = 0;
    const [passive] = this.connection.pragma('wal_checkpoint(PASSIVE)') as CheckpointRow[];
    if (passive === undefined || passive.log < 0) return;
    const pageSize = Number(this.connection.pragma('page_size', { simple: true }));
    if (passive.log * pageSize <= this.settings.walLimitBytes) return;
    const busyTimeout = Number(this.connection.pragma('busy_timeout', { simple: true }));
    this.connection.pragma(`busy_timeout = ${Math.min(busyTimeout, TRUNCATE_BUSY_MS)}`);
    try {
      // Still busy (a reader held on): the next turn tries again.
      this.connection.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.connection.pragma(`busy_timeout = ${busyTimeout}`);
    }
  }
}
