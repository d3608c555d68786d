/**
 * rpm's SQLite backend (rpm ≥ 4.16): `rpmdb.sqlite`, table
 * `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`, one header blob per row.
 *
 * The bytes are opened in memory with better-sqlite3 (`new Database(buffer)`,
 * which uses sqlite3_deserialize): no temporary file. A database left in WAL
 * mode (file format bytes 18/19 = 2) cannot be deserialized, so a copy is
 * switched to the rollback-journal format first; a non-empty `-wal` file
 * beside it (uncheckpointed transactions) is not applied — rpm checkpoints
 * when it closes the database, so images normally have none.
 */
import Database from 'better-sqlite3';

export function isSqlite(content: Buffer): boolean {
  return content.length >= 100 && content.toString('latin1', 0, 16) === 'SQLite format 3\0';
}

export function readSqliteRpmdb(content: Buffer): { blobs: Buffer[]; error?: string } {
  if (!isSqlite(content)) return { blobs: [], error: 'not an SQLite database' };
  const copy = Buffer.from(content);
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  let db: Database.Database | undefined;
  try {
    db = new Database(copy, { readonly: true });
    const rows = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').all() as Array<{ hnum: number; blob: unknown }>;
    const blobs: Buffer[] = [];
    for (const row of rows) if (Buffer.isBuffer(row.blob)) blobs.push(row.blob);
    return { blobs };
  } catch (error) {
    return { blobs: [], error: `cannot read the SQLite rpmdb: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    db?.close();
  }
}
