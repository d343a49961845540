/**
 * The thread that checkpoints the WAL of a SQLite store (`wal-checkpointer.ts` starts it): a
 * connection of its own, and nothing else to do. Every other connection has automatic
 * checkpoints off, so neither the event loop nor the flow writer ever waits for a
 * checkpoint's copying and fsync (on this machine's disk the flow writer used to spend a
 * fifth of a batch's time there).
 *
 * - Every `everyMs`, a PASSIVE checkpoint: it copies what the WAL holds into the database file
 *   beside the writers (they keep appending meanwhile) and syncs it.
 * - A WAL of more than `truncatePages` frames is checkpointed with TRUNCATE instead: under
 *   sustained writes a passive checkpoint never catches up with the writer, so the WAL is
 *   never restarted and would grow without end. TRUNCATE waits for the running write
 *   transaction (busy timeout), holds the next ones while it finishes, and empties the file.
 *
 * Plain JavaScript, so the thread starts without the TypeScript loader.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const { path, pragmas, everyMs, truncatePages } = workerData;
const db = new SQLite(path);
for (const p of pragmas) db.pragma(p);
db.pragma('wal_autocheckpoint = 0');

let timer;
const tick = () => {
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive && passive.log > truncatePages) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // Busy or failed: the next tick tries again.
  }
  timer = setTimeout(tick, everyMs);
};
timer = setTimeout(tick, everyMs);

parentPort.on('message', (m) => {
  if (m.close !== true) return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
