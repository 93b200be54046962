import CSQLite

/// One connection to an SQLite database file. Owns its `sqlite3` handle.
///
/// A connection and its statements belong to one thread at a time (the handle is opened
/// without SQLite's own mutex); they are not `Sendable`.
public final class Database {
  /// How opening treats a missing file.
  public enum OpenMode: Sendable {
    case readWrite
    /// Read-write, creating the file when it does not exist.
    case readWriteCreate
    case readOnly
  }

  public let path: String
  let handle: OpaquePointer

  public init(path: String, mode: OpenMode = .readWriteCreate) throws(SQLiteError) {
    var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
    switch mode {
    case .readWrite: flags |= SQLITE_OPEN_READWRITE
    case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
    case .readOnly: flags |= SQLITE_OPEN_READONLY
    }
    var db: OpaquePointer?
    let rc = sqlite3_open_v2(path, &db, flags, nil)
    guard rc == SQLITE_OK, let db else {
      let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? SQLiteError.text(for: rc)
      if let db { sqlite3_close_v2(db) }
      throw SQLiteError(code: rc, message: message)
    }
    self.path = path
    self.handle = db
  }

  deinit { sqlite3_close_v2(handle) }

  /// Runs one or more statements that return no rows (`PRAGMA x = y; CREATE …`).
  public func execute(_ sql: String) throws(SQLiteError) {
    let rc = sqlite3_exec(handle, sql, nil, nil, nil)
    if rc != SQLITE_OK { throw error(rc) }
  }

  /// Compiles one statement.
  public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
    var stmt: OpaquePointer?
    let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
    guard rc == SQLITE_OK, let stmt else { throw error(rc) }
    return Statement(database: self, handle: stmt)
  }

  /// The first column of the first row of a query, as an integer (nil when there is no row).
  public func scalarInt(_ sql: String) throws(SQLiteError) -> Int64? {
    let stmt = try prepare(sql)
    guard try stmt.step() else { return nil }
    return stmt.int64(0)
  }

  /// Milliseconds to wait for another connection's lock before failing with `SQLITE_BUSY`.
  public func setBusyTimeout(milliseconds: Int32) {
    sqlite3_busy_timeout(handle, milliseconds)
  }

  /// Rows changed by the most recent INSERT, UPDATE or DELETE.
  public var changes: Int { Int(sqlite3_changes64(handle)) }

  /// Whether a transaction is open (false in autocommit mode).
  public var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

  /// The library's version, such as "3.40.1".
  public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

  func error(_ rc: Int32) -> SQLiteError {
    let code = sqlite3_extended_errcode(handle)
    let message = String(cString: sqlite3_errmsg(handle))
    return SQLiteError(code: code != SQLITE_OK ? code : rc, message: message)
  }
}
