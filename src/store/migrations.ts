/**
 * Schema migrations for the SQLite store, in code and in order. The applied
 * version lives in `schema_version`; each step runs in its own transaction.
 * Append new steps; never edit an applied one.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE revisions (
     service TEXT NOT NULL,
     number INTEGER NOT NULL,
     body TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (service, number)
   );
   CREATE TABLE rollouts (
     service TEXT PRIMARY KEY,
     shape_version INTEGER NOT NULL,
     generation INTEGER NOT NULL,
     body TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE instances (
     id TEXT PRIMARY KEY,
     service TEXT NOT NULL,
     revision TEXT NOT NULL,
     body TEXT NOT NULL
   );
   CREATE INDEX instances_service ON instances (service, revision);
   CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     service TEXT NOT NULL,
     time INTEGER NOT NULL,
     type TEXT NOT NULL,
     reason TEXT NOT NULL,
     revision INTEGER
   );
   CREATE INDEX events_service ON events (service, id);`,
  `CREATE TABLE flags (
     name TEXT PRIMARY KEY,
     body TEXT NOT NULL,
     config_hash TEXT,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE flag_segments (
     id INTEGER PRIMARY KEY,
     body TEXT NOT NULL
   );
   CREATE TABLE flag_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     time INTEGER NOT NULL,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     type TEXT NOT NULL,
     actor TEXT NOT NULL,
     before TEXT,
     after TEXT,
     reason TEXT
   );
   CREATE INDEX flag_events_name ON flag_events (kind, name, id);
   CREATE TABLE flag_metrics (
     name TEXT PRIMARY KEY,
     yes INTEGER NOT NULL,
     no INTEGER NOT NULL,
     variants TEXT NOT NULL,
     last_seen INTEGER NOT NULL
   );`,
];
