import Foundation
import SQLite
import Testing

@testable import SupportBotKit

/// A fresh directory for one test's files, removed at the end of the test.
final class TempDir {
  let path: String

  init() {
    path =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("supportbot-sessions-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  func file(_ name: String) -> String { path + "/" + name }

  deinit { try? FileManager.default.removeItem(atPath: path) }
}

func sampleState(_ n: Int) -> SessionState {
  var s = SessionState(flow: "delete_account", state: "confirm", slots: ["days": .number(n)])
  s.turns = n
  s.lastReplies = ["Reply \(n) — ünïcode ✓", "\"quoted\"\n"]
  return s
}

/// Runs the same scenario against any store: what every store must do.
func exerciseStore(_ store: some SessionStore) throws {
  #expect(try store.count() == 0)
  var batch = SessionBatch()
  batch.put("a", sampleState(1), lastUsed: 1_000)
  batch.put("b", sampleState(2), lastUsed: 3_000)
  batch.put("c", sampleState(3), lastUsed: 2_000)
  try store.commit(batch)
  #expect(try store.count() == 3)
  #expect(try store.load(id: "b") == StoredSession(id: "b", state: sampleState(2), lastUsed: 3_000))
  #expect(try store.load(id: "zz") == nil)
  #expect(try store.loadAll().map(\.id) == ["a", "c", "b"])  // least recently used first

  var second = SessionBatch()
  second.put("a", sampleState(10), lastUsed: 4_000)
  second.delete("c")
  second.put("d", sampleState(4), lastUsed: 500)
  second.delete("d")  // the last change for an id wins
  second.delete("never-stored")
  try store.commit(second)
  #expect(try store.loadAll().map(\.id) == ["b", "a"])
  #expect(try store.load(id: "a")?.state == sampleState(10))

  #expect(try store.expire(lastUsedBefore: 3_500) == ["b"])
  #expect(try store.loadAll().map(\.id) == ["a"])
  try store.commit(SessionBatch())  // an empty batch is fine
  #expect(try store.count() == 1)
}

@Suite struct SessionStoreTests {
  @Test func memoryStore() throws {
    try exerciseStore(MemorySessionStore())
  }

  @Test func sqliteStore() throws {
    let dir = TempDir()
    try exerciseStore(try SQLiteSessionStore(path: dir.file("s.db")))
  }

  @Test func sqliteStoreSurvivesReopening() throws {
    let dir = TempDir()
    let path = dir.file("s.db")
    do {
      let store = try SQLiteSessionStore(path: path, durability: .normal)
      var batch = SessionBatch()
      for i in 0..<200 { batch.put("s\(i)", sampleState(i), lastUsed: Int64(i)) }
      try store.commit(batch)
    }
    let store = try SQLiteSessionStore(path: path)
    let all = try store.loadAll()
    #expect(all.count == 200)
    #expect(all.first == StoredSession(id: "s0", state: sampleState(0), lastUsed: 0))
    #expect(all.last == StoredSession(id: "s199", state: sampleState(199), lastUsed: 199))
  }

  @Test func oddSessionIdsRoundTrip() throws {
    let dir = TempDir()
    let store = try SQLiteSessionStore(path: dir.file("s.db"))
    let ids = ["", "with space", "nul\u{0}inside", "émoji 👋", "'; DROP TABLE sessions; --"]
    var batch = SessionBatch()
    for (i, id) in ids.enumerated() { batch.put(id, sampleState(i), lastUsed: Int64(i)) }
    try store.commit(batch)
    #expect(try store.loadAll().map(\.id) == ids)
    for id in ids { #expect(try store.load(id: id)?.id == id) }
  }

  @Test func secondProcessIsRefused() throws {
    let dir = TempDir()
    let path = dir.file("s.db")
    let first = try SQLiteSessionStore(path: path)
    #expect(throws: SessionStoreError.self) {
      _ = try SQLiteSessionStore(path: path, busyTimeoutMilliseconds: 50)
    }
    do {
      _ = try SQLiteSessionStore(path: path, busyTimeoutMilliseconds: 50)
    } catch {
      #expect(error.code == .inUse)
      #expect(error.description.contains("in use by another process"))
    }
    _ = first
  }

  @Test func notADatabaseIsRefused() throws {
    let dir = TempDir()
    let path = dir.file("notes.txt")
    try Data(String(repeating: "hello, this is not SQLite\n", count: 100).utf8)
      .write(to: URL(fileURLWithPath: path))
    do {
      _ = try SQLiteSessionStore(path: path)
      Issue.record("opened a text file as a store")
    } catch {
      #expect(error.code == .notASessionStore)
      #expect(error.description.hasPrefix("sessions file \(path): is not an SQLite database"))
    }
    // The file is left as it was.
    #expect(FileManager.default.contents(atPath: path)?.count == 2_600)
  }

  @Test func anotherProgramsDatabaseIsRefused() throws {
    let dir = TempDir()
    let path = dir.file("other.db")
    do {
      let db = try Database(path: path)
      try db.execute("CREATE TABLE sessions (id TEXT, data BLOB)")
    }
    do {
      _ = try SQLiteSessionStore(path: path)
      Issue.record("opened another program's database")
    } catch {
      #expect(error.code == .notASessionStore)
      #expect(error.message.contains("not a supportbot sessions file"))
    }
  }

  @Test func newerSchemaIsRefused() throws {
    let dir = TempDir()
    let path = dir.file("s.db")
    try makeStore(path)
    try sql(path, "UPDATE schema_version SET version = 2")
    do {
      _ = try SQLiteSessionStore(path: path)
      Issue.record("opened a newer schema")
    } catch {
      #expect(error.code == .newerVersion)
      #expect(error.message.contains("schema version 2, written by a newer supportbot"))
      #expect(error.message.contains("reads version 1"))
    }
  }

  @Test func olderSchemaWithoutMigrationIsRefused() throws {
    let dir = TempDir()
    let path = dir.file("s.db")
    try makeStore(path)
    try sql(path, "UPDATE schema_version SET version = 0")
    do {
      _ = try SQLiteSessionStore(path: path)
      Issue.record("opened an unknown older schema")
    } catch {
      #expect(error.code == .unsupportedVersion)
    }
  }

  @Test func missingVersionTableIsRefused() throws {
    let dir = TempDir()
    let path = dir.file("s.db")
    try makeStore(path)
    try sql(path, "DROP TABLE schema_version")
    do {
      _ = try SQLiteSessionStore(path: path)
      Issue.record("opened a store without a version")
    } catch {
      #expect(error.code == .corrupt)
    }
  }

  @Test func newerSessionFormatIsRefusedNotMisread() throws {
    let dir = TempDir()
    let path = dir.file("s.db")
    try makeStore(path, ids: ["ok", "future"])
    try sql(path, "UPDATE sessions SET state_version = 2 WHERE id = 'future'")
    let store = try SQLiteSessionStore(path: path)
    #expect(try store.load(id: "ok") != nil)
    do {
      _ = try store.loadAll()
      Issue.record("read a newer session format")
    } catch {
      #expect(error.code == .newerVersion)
      #expect(error.message.contains("session \"future\" has session format 2"))
    }
  }

  @Test func olderSessionFormatIsRefused() throws {
    let dir = TempDir()
    let path = dir.file("s.db")
    try makeStore(path, ids: ["old"])
    try sql(path, "UPDATE sessions SET state_version = 0")
    let store = try SQLiteSessionStore(path: path)
    #expect(throws: SessionStoreError.self) { _ = try store.load(id: "old") }
  }

  @Test func damagedStateIsRefused() throws {
    for bad in [
      "UPDATE sessions SET state = '{\"version\": 1'",  // cut short
      "UPDATE sessions SET state = '{\"version\": 2, \"turns\": 0}'",  // lies about its format
      "UPDATE sessions SET state = '[]'",
      "UPDATE sessions SET state = x'00ff'",  // a blob, not text
      "UPDATE sessions SET last_used = 'yesterday'",
    ] {
      let dir = TempDir()
      let path = dir.file("s.db")
      try makeStore(path, ids: ["x"])
      try sql(path, bad)
      let store = try SQLiteSessionStore(path: path)
      do {
        _ = try store.loadAll()
        Issue.record("read a damaged row after: \(bad)")
      } catch {
        #expect(error.code == .corrupt, "\(bad)")
        #expect(error.message.contains("session \"x\""), "\(bad)")
      }
    }
  }

  @Test func commitIsAllOrNothing() throws {
    let dir = TempDir()
    let path = dir.file("s.db")
    try makeStore(path, ids: ["keep"])
    // A trigger that fails the write of one row makes the whole batch roll back.
    try sql(
      path,
      """
      CREATE TRIGGER refuse BEFORE INSERT ON sessions WHEN NEW.id = 'poison'
      BEGIN SELECT RAISE(ABORT, 'refused'); END
      """)
    let store = try SQLiteSessionStore(path: path)
    var batch = SessionBatch()
    batch.put("aaa", sampleState(1), lastUsed: 1)
    batch.delete("keep")
    batch.put("poison", sampleState(2), lastUsed: 2)
    #expect(throws: SessionStoreError.self) { try store.commit(batch) }
    #expect(try store.loadAll().map(\.id) == ["keep"])
    // And the store still works afterwards.
    var ok = SessionBatch()
    ok.put("aaa", sampleState(1), lastUsed: 1)
    try store.commit(ok)
    #expect(try store.count() == 2)
  }

  @Test func fileIsInWALModeWithItsSchema() throws {
    let dir = TempDir()
    let path = dir.file("s.db")
    try makeStore(path)
    let db = try Database(path: path, mode: .readOnly)
    let mode = try db.prepare("PRAGMA journal_mode")
    #expect(try mode.step())
    #expect(mode.text(0) == "wal")
    #expect(try db.scalarInt("PRAGMA application_id") == SQLiteSessionStore.applicationID)
    #expect(try db.scalarInt("SELECT version FROM schema_version") == 1)
  }

  /// Creates a store holding sessions `ids`, then closes it.
  func makeStore(_ path: String, ids: [String] = []) throws {
    let store = try SQLiteSessionStore(path: path)
    var batch = SessionBatch()
    for (i, id) in ids.enumerated() { batch.put(id, sampleState(i), lastUsed: Int64(i)) }
    try store.commit(batch)
  }

  /// Runs SQL on a closed store's file, as another tool (or an older release) would.
  func sql(_ path: String, _ statement: String) throws {
    let db = try Database(path: path, mode: .readWrite)
    try db.execute(statement)
  }
}

@Suite struct SessionStoreSecretsTests {
  static let bot = """
    intents:
      - id: report
        patterns: ['\\breport\\b']
    flows:
      - id: report
        title: a report
        triggers: [report]
        start: describe
        states:
          describe:
            ask: "What happened?"
            slots:
              - name: details
                pattern: '(?<value>.+)'
            default: done
          done:
            say: "Thanks, noted: {details}"
    """

  /// Whatever a user types, the stored file never holds the secret.
  @Test func storedSessionsHoldNoSecrets() throws {
    let bot = try load(Self.bot)
    let engine = Engine(bot: bot)
    let today = CivilDate(year: 2026, month: 11, day: 29)
    let secrets = [
      "hunter2-Zebra!", "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111",
      "739184", "55120834",
    ]
    let messages = [
      "my password is hunter2-Zebra!", "card 4111 1111 1111 1111 was charged",
      "pw=hunter2-Zebra!", "the card is 4111-1111-1111-1111", "4111111111111111",
      "my code is 739184", "55120834", "otp: 739184 and password: hunter2-Zebra!",
      // These also match an intent, so the redacted text reaches the free-text slot.
      "report this: my password is hunter2-Zebra!", "report card 4111 1111 1111 1111",
      "report code 739184",
    ]
    let dir = TempDir()
    let path = dir.file("s.db")
    do {
      let store = try SQLiteSessionStore(path: path, durability: .normal)
      for (i, message) in messages.enumerated() {
        var session = engine.step(SessionState(), .text("I want to report a problem", today: today))
          .state
        #expect(session.flow == "report")
        session = engine.step(session, .text(message, today: today)).state
        var batch = SessionBatch()
        batch.put("s\(i)", session, lastUsed: Int64(i))
        try store.commit(batch)
        let json = try SessionStateCodec().encode(session)
        if message.hasPrefix("report") {
          #expect(json.contains(Redactor.marker), "\(message) → \(json)")
        }
        for secret in secrets { #expect(!json.contains(secret), "\(message) → \(json)") }
      }
      // Also while the rows are still only in the write-ahead log.
      try expectNoSecrets(secrets, inFilesAt: path)
    }
    try expectNoSecrets(secrets, inFilesAt: path)
  }

  func expectNoSecrets(_ secrets: [String], inFilesAt path: String) throws {
    var checked = 0
    for suffix in ["", "-wal", "-shm", "-journal"] {
      guard let data = FileManager.default.contents(atPath: path + suffix) else { continue }
      checked += 1
      let bytes = [UInt8](data)
      for secret in secrets {
        #expect(!contains(bytes, Array(secret.utf8)), "\(secret) in \(path + suffix)")
      }
    }
    #expect(checked >= 1)
  }

  func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    for i in 0...(haystack.count - needle.count)
    where haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle {
      return true
    }
    return false
  }
}
