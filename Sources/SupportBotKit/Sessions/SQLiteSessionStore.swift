import SQLite

/// Sessions in an SQLite database file, in WAL mode (see the README's "Durable sessions").
///
/// Schema (version 1):
///
///     schema_version(version INTEGER NOT NULL)          -- one row
///     sessions(id TEXT PRIMARY KEY,                      -- the protocol's session id
///              state_version INTEGER NOT NULL,           -- SessionState.version
///              state TEXT NOT NULL,                      -- SessionState as JSON
///              last_used INTEGER NOT NULL)               -- ms since 1970, UTC
///
/// The file carries SQLite's `application_id` "SBOT", so another program's database is
/// refused rather than written into. The connection takes SQLite's exclusive lock for its
/// whole life: a second process opening the same file gets ``SessionStoreError/Code/inUse``.
///
/// Every ``commit(_:)`` is one transaction. What survives depends on ``Durability``.
public final class SQLiteSessionStore: SessionStore {
  /// How far a committed batch is guaranteed to survive.
  public enum Durability: String, Sendable, CaseIterable {
    /// `synchronous=FULL`: the WAL is fsynced at every commit; a committed batch survives a
    /// killed process, an operating-system crash and power loss. One fsync per batch.
    case full
    /// `synchronous=NORMAL`: a committed batch is in the operating system before `commit`
    /// returns, so it survives a killed process (SIGKILL, OOM); after power loss or an OS crash
    /// the last batches may be lost (the file stays consistent). fsync only at checkpoints.
    case normal
  }

  public static let schemaVersion = 1
  /// "SBOT" as SQLite's `application_id`.
  public static let applicationID: Int64 = 0x5342_4F54

  public let path: String
  public let durability: Durability
  private let db: Database
  private let codec = SessionStateCodec()
  private let upsert: Statement
  private let remove: Statement
  private let selectOne: Statement
  private let selectAll: Statement
  private let expireOld: Statement
  private let countAll: Statement

  /// Opens (or creates) a store, checking that it is a sessions store this build can read.
  ///
  /// - Parameter busyTimeoutMilliseconds: how long to wait for another process to let go of
  ///   the file (a server still shutting down) before failing with `inUse`.
  public init(
    path: String, durability: Durability = .full, busyTimeoutMilliseconds: Int32 = 2000
  ) throws(SessionStoreError) {
    self.path = path
    self.durability = durability
    do {
      db = try Database(path: path, mode: .readWriteCreate)
    } catch {
      throw SessionStoreError(.cannotOpen, path: path, "cannot open: \(error.message)")
    }
    db.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
    do {
      // Exclusive before WAL: the WAL index then lives in this process's memory (no -shm
      // file) and nobody else can write behind our in-memory copy of the sessions.
      try db.execute("PRAGMA locking_mode = EXCLUSIVE")
      try Self.checkHeader(db, path: path)
      try db.execute("PRAGMA journal_mode = WAL")
      try db.execute("PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
      try Self.prepareSchema(db, path: path)
      upsert = try db.prepare(
        """
        INSERT INTO sessions (id, state_version, state, last_used) VALUES (?1, ?2, ?3, ?4)
        ON CONFLICT (id) DO UPDATE SET state_version = ?2, state = ?3, last_used = ?4
        """)
      remove = try db.prepare("DELETE FROM sessions WHERE id = ?1")
      selectOne = try db.prepare(
        "SELECT id, state_version, state, last_used FROM sessions WHERE id = ?1")
      selectAll = try db.prepare(
        "SELECT id, state_version, state, last_used FROM sessions ORDER BY last_used, id")
      expireOld = try db.prepare("DELETE FROM sessions WHERE last_used < ?1 RETURNING id")
      countAll = try db.prepare("SELECT count(*) FROM sessions")
    } catch let error as SessionStoreError {
      throw error
    } catch let error as SQLiteError {
      throw Self.describe(error, path: path, doing: "open")
    } catch {
      throw SessionStoreError(.cannotOpen, path: path, "cannot open: \(error)")
    }
  }

  /// Refuses a file that is not SQLite, or an SQLite database that is not ours.
  private static func checkHeader(_ db: Database, path: String) throws {
    let appID = try db.scalarInt("PRAGMA application_id") ?? 0
    let objects = try db.scalarInt("SELECT count(*) FROM sqlite_schema") ?? 0
    if appID == applicationID { return }
    if appID == 0 && objects == 0 { return }  // a new, empty file
    throw SessionStoreError(
      .notASessionStore, path: path,
      "is an SQLite database of another program (application_id \(appID), \(objects) "
        + "schema objects), not a supportbot sessions file; choose another file")
  }

  /// Creates the schema in a new file, or checks (and migrates) an existing one.
  private static func prepareSchema(_ db: Database, path: String) throws {
    try db.execute("BEGIN IMMEDIATE")
    do {
      let objects = try db.scalarInt("SELECT count(*) FROM sqlite_schema") ?? 0
      if objects == 0 {
        try db.execute(
          """
          PRAGMA application_id = \(applicationID);
          CREATE TABLE schema_version (version INTEGER NOT NULL);
          INSERT INTO schema_version (version) VALUES (\(schemaVersion));
          CREATE TABLE sessions (
            id TEXT PRIMARY KEY NOT NULL,
            state_version INTEGER NOT NULL,
            state TEXT NOT NULL,
            last_used INTEGER NOT NULL
          ) WITHOUT ROWID;
          CREATE INDEX sessions_by_last_used ON sessions (last_used);
          """)
      } else {
        let hasTable =
          try db.scalarInt(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'")
          ?? 0
        guard hasTable == 1,
          let version = try db.scalarInt("SELECT max(version) FROM schema_version")
        else {
          throw SessionStoreError(
            .corrupt, path: path, "has no schema version: damaged, or not written by supportbot")
        }
        if version > Int64(schemaVersion) {
          throw SessionStoreError(
            .newerVersion, path: path,
            "has schema version \(version), written by a newer supportbot; this build reads "
              + "version \(schemaVersion). Run the newer version, or start with a new file.")
        }
        if version < Int64(schemaVersion) {
          try migrate(db, from: version, path: path)
        }
      }
      try db.execute("COMMIT")
    } catch {
      try? db.execute("ROLLBACK")
      throw error
    }
  }

  /// Brings an older schema up to ``schemaVersion`` inside the open transaction.
  ///
  /// Version 1 is the first schema. When it changes, add the step from the previous version
  /// here, update `schema_version`, and add a test that opens a file of the old version.
  private static func migrate(_ db: Database, from version: Int64, path: String) throws {
    throw SessionStoreError(
      .unsupportedVersion, path: path,
      "has schema version \(version), which this build cannot migrate (it reads version "
        + "\(schemaVersion)); start with a new file.")
  }

  private static func describe(_ error: SQLiteError, path: String, doing: String)
    -> SessionStoreError
  {
    if error.isBusy {
      return SessionStoreError(
        .inUse, path: path,
        "is in use by another process (another `supportbot serve`?); each store has one server")
    }
    if error.isNotADatabase {
      return SessionStoreError(
        .notASessionStore, path: path,
        "is not an SQLite database (or is damaged): \(error.message); choose another file")
    }
    return SessionStoreError(.io, path: path, "cannot \(doing): \(error.description)")
  }

  // MARK: SessionStore

  public func loadAll() throws(SessionStoreError) -> [StoredSession] {
    var out: [StoredSession] = []
    do {
      selectAll.reset()
      while try selectAll.step() { out.append(try row(selectAll)) }
      selectAll.reset()
    } catch let error as SessionStoreError {
      selectAll.reset()
      throw error
    } catch {
      selectAll.reset()
      throw Self.describe(
        error as? SQLiteError ?? SQLiteError(code: 1, message: "\(error)"),
        path: path, doing: "read sessions")
    }
    return out
  }

  public func load(id: String) throws(SessionStoreError) -> StoredSession? {
    do {
      try selectOne.bind(.text(id))
      defer { selectOne.reset() }
      guard try selectOne.step() else { return nil }
      return try row(selectOne)
    } catch let error as SessionStoreError {
      throw error
    } catch {
      throw Self.describe(
        error as? SQLiteError ?? SQLiteError(code: 1, message: "\(error)"),
        path: path, doing: "read a session")
    }
  }

  public func commit(_ batch: SessionBatch) throws(SessionStoreError) {
    if batch.isEmpty { return }
    do {
      try db.execute("BEGIN IMMEDIATE")
      for (id, change) in batch.ordered {
        switch change {
        case .put(let s):
          try upsert.run(
            .text(id), .integer(Int64(s.state.version)), .text(try codec.encode(s.state)),
            .integer(s.lastUsed))
        case .delete:
          try remove.run(.text(id))
        }
      }
      try db.execute("COMMIT")
    } catch {
      if db.inTransaction { try? db.execute("ROLLBACK") }
      if let e = error as? SessionStoreError {
        throw SessionStoreError(e.code, path: path, e.message)
      }
      throw Self.describe(
        error as? SQLiteError ?? SQLiteError(code: 1, message: "\(error)"),
        path: path, doing: "write sessions")
    }
  }

  public func expire(lastUsedBefore cutoff: Int64) throws(SessionStoreError) -> [String] {
    var ids: [String] = []
    do throws(SQLiteError) {
      try expireOld.bind(.integer(cutoff))
      defer { expireOld.reset() }
      while try expireOld.step() { ids.append(expireOld.text(0)) }
    } catch {
      throw Self.describe(error, path: path, doing: "expire sessions")
    }
    return ids.sorted()
  }

  public func count() throws(SessionStoreError) -> Int {
    do throws(SQLiteError) {
      defer { countAll.reset() }
      guard try countAll.step() else { return 0 }
      return Int(countAll.int64(0))
    } catch {
      throw Self.describe(error, path: path, doing: "count sessions")
    }
  }

  /// Copies everything in the WAL into the main file and truncates the WAL (also done on
  /// close). Optional: SQLite checkpoints by itself every 1,000 pages.
  public func checkpoint() throws(SessionStoreError) {
    do throws(SQLiteError) {
      try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    } catch {
      throw Self.describe(error, path: path, doing: "checkpoint")
    }
  }

  private func row(_ stmt: Statement) throws(SessionStoreError) -> StoredSession {
    let id = stmt.text(0)
    let place = "session \(quoted(id))"
    guard stmt.typeName(1) == "integer", stmt.typeName(3) == "integer",
      stmt.typeName(2) == "text"
    else {
      throw SessionStoreError(.corrupt, path: path, "\(place) has a malformed row")
    }
    let version = stmt.int64(1)
    guard let v = Int(exactly: version) else {
      throw SessionStoreError(.corrupt, path: path, "\(place) has format \(version)")
    }
    do {
      let state = try codec.decode(stmt.text(2), version: v, where: place)
      return StoredSession(id: id, state: state, lastUsed: stmt.int64(3))
    } catch {
      throw SessionStoreError(error.code, path: path, error.message)
    }
  }

  private func quoted(_ id: String) -> String {
    let shown = id.count > 60 ? String(id.prefix(60)) + "…" : id
    return "\""
      + shown.unicodeScalars.map {
        $0.properties.generalCategory == .control
          ? "\\u{\(String($0.value, radix: 16))}" : String($0)
      }.joined() + "\""
  }
}
