/** Every connection's settings (the flow writer's thread's too). */
export const CONNECTION_PRAGMAS = [
  // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the
  // last commits, never corrupt the file).
  'synchronous = NORMAL',
  'foreign_keys = ON',
  'busy_timeout = 5000',
  // The flow table and its indexes grow to gigabytes: SQLite's default 2 MB page cache made
  // every insert and every wide query re-read index pages. 64 MB per connection.
  'cache_size = -65536',
  'temp_store = MEMORY',
];
