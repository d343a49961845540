/**
 * The thread of the SQLite flow writer (`flow-writer.ts`): a connection of its own to the
 * PCE's database file, and one write transaction per flow batch: the batch id recorded
 * (nothing more for a resend), then each merged summary upserted. Plain JavaScript, so the
 * thread starts without the TypeScript loader; the SQL and the pragmas come from the main
 * thread, which owns them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const { path, pragmas, recordBatch, upsert, width } = workerData;
const db = new SQLite(path);
for (const p of pragmas) db.pragma(p);
// Checkpoints are the checkpoint thread's (wal-checkpointer.ts), unless it fails.
db.pragma('wal_autocheckpoint = 0');
const record = db.prepare(recordBatch);
const add = db.prepare(upsert);

/** `values`: the summaries' columns, row after row, NaN for NULL. */
const write = db.transaction((batch, values) => {
  if (record.get(batch) === undefined) return false;
  const row = new Array(width);
  for (let i = 0; i < values.length; i += width) {
    for (let c = 0; c < width; c++) {
      const v = values[i + c];
      row[c] = Number.isNaN(v) ? null : v;
    }
    add.run(row);
  }
  return true;
});

parentPort.on('message', (m) => {
  if (m.checkpointSelf === true) {
    // The checkpoint thread failed: checkpoint here, as SQLite does by default.
    db.pragma('wal_autocheckpoint = 10000');
    return;
  }
  if (m.close === true) {
    db.close();
    parentPort.close();
    return;
  }
  try {
    // BEGIN IMMEDIATE: the write lock up front, as the main thread's writer takes it.
    parentPort.postMessage({ id: m.id, fresh: write.immediate(m.batch, m.values) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
