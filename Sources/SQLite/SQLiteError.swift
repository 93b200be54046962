import CSQLite

/// An error from libsqlite3: its result code and the connection's message at the time.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
  /// SQLite's extended result code (`SQLITE_BUSY`, `SQLITE_NOTADB`, …).
  public var code: Int32
  public var message: String

  public init(code: Int32, message: String) {
    self.code = code
    self.message = message
  }

  /// The primary result code (the low byte of the extended code).
  public var primaryCode: Int32 { code & 0xFF }

  /// Another connection holds the lock (`SQLITE_BUSY` or `SQLITE_LOCKED`).
  public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

  /// The file is not a database, or is damaged (`SQLITE_NOTADB`, `SQLITE_CORRUPT`).
  public var isNotADatabase: Bool {
    primaryCode == SQLITE_NOTADB || primaryCode == SQLITE_CORRUPT
  }

  public var description: String { "\(message) (SQLite error \(code))" }

  /// SQLite's English text for a result code.
  static func text(for code: Int32) -> String {
    guard let c = sqlite3_errstr(code) else { return "unknown error" }
    return String(cString: c)
  }
}
