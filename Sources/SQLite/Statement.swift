import CSQLite

/// A compiled statement. Owns its `sqlite3_stmt`, and keeps its ``Database`` open.
///
/// Parameters are numbered from 1 and columns from 0, as in SQLite's C API. Text is bound and
/// read as UTF-8 bytes; text and blob values are copied in and out (never borrowed).
public final class Statement {
  let database: Database
  let handle: OpaquePointer

  init(database: Database, handle: OpaquePointer) {
    self.database = database
    self.handle = handle
  }

  deinit { sqlite3_finalize(handle) }

  /// A value to bind to a parameter.
  public enum Value: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
  }

  /// Binds every parameter in order, after resetting the statement.
  public func bind(_ values: Value...) throws(SQLiteError) {
    try bind(values)
  }

  public func bind(_ values: [Value]) throws(SQLiteError) {
    reset()
    for (i, value) in values.enumerated() {
      let index = Int32(i + 1)
      let rc: Int32
      switch value {
      case .null:
        rc = sqlite3_bind_null(handle, index)
      case .integer(let n):
        rc = sqlite3_bind_int64(handle, index, n)
      case .text(let s):
        var s = s
        rc = s.withUTF8 { buf in
          buf.withMemoryRebound(to: CChar.self) { c in
            guard let base = c.baseAddress else {
              return sqlite3_bind_text(handle, index, "", 0, csqlite_transient())
            }
            return sqlite3_bind_text64(
              handle, index, base, UInt64(c.count), csqlite_transient(), UInt8(SQLITE_UTF8))
          }
        }
      case .blob(let bytes):
        rc = bytes.withUnsafeBytes { buf in
          guard let base = buf.baseAddress, buf.count > 0 else {
            // A null pointer would store NULL; an empty blob is a zero-length zeroblob.
            return sqlite3_bind_zeroblob(handle, index, 0)
          }
          return sqlite3_bind_blob64(handle, index, base, UInt64(buf.count), csqlite_transient())
        }
      }
      if rc != SQLITE_OK { throw database.error(rc) }
    }
  }

  /// Advances to the next row: true when a row is available, false when done.
  @discardableResult
  public func step() throws(SQLiteError) -> Bool {
    let rc = sqlite3_step(handle)
    switch rc {
    case SQLITE_ROW: return true
    case SQLITE_DONE: return false
    default:
      let error = database.error(rc)
      sqlite3_reset(handle)
      throw error
    }
  }

  /// Runs the statement to completion with these parameters, ignoring any rows.
  public func run(_ values: Value...) throws(SQLiteError) {
    try bind(values)
    while try step() {}
    reset()
  }

  /// Makes the statement ready to run again (bindings stay until the next `bind`).
  public func reset() {
    sqlite3_reset(handle)
  }

  public func isNull(_ column: Int32) -> Bool {
    sqlite3_column_type(handle, column) == SQLITE_NULL
  }

  public func int64(_ column: Int32) -> Int64 {
    sqlite3_column_int64(handle, column)
  }

  /// The column as text (invalid UTF-8 is repaired with U+FFFD; check ``bytes(_:)`` for exact).
  public func text(_ column: Int32) -> String {
    String(decoding: bytes(column), as: UTF8.self)
  }

  /// The column's bytes, as stored (text or blob).
  public func bytes(_ column: Int32) -> [UInt8] {
    // Ask for the pointer before the length, as SQLite's documentation requires.
    guard let p = sqlite3_column_blob(handle, column) else { return [] }
    let n = Int(sqlite3_column_bytes(handle, column))
    return Array(UnsafeRawBufferPointer(start: p, count: n))
  }

  /// The column's SQLite storage class name: "integer", "real", "text", "blob" or "null".
  public func typeName(_ column: Int32) -> String {
    switch sqlite3_column_type(handle, column) {
    case SQLITE_INTEGER: return "integer"
    case SQLITE_FLOAT: return "real"
    case SQLITE_TEXT: return "text"
    case SQLITE_BLOB: return "blob"
    default: return "null"
    }
  }
}
