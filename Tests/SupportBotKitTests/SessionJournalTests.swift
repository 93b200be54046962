import Foundation
import Testing

@testable import SupportBotKit

#if canImport(Glibc)
  import Glibc
#endif

/// A three-question flow, so a conversation's position is easy to see in its replies.
private let journalBot = """
  messages:
    welcome: "Hi"
    reset: "Fresh start."
    fallback: "Sorry?"
    fallback_handoff: "Want a person?"
    escalate: "Passing you on."
    sensitive_data: "No secrets."
    resume: "Back to {flow_title}: {question}"
  intents:
    - id: order
      patterns: ['\\border\\b']
    - id: answer
      patterns: ['^(?<n>\\d+)$']
    - id: bye
      patterns: ['\\bbye\\b']
  responses:
    bye: {behavior: end, say: "Goodbye!"}
  flows:
    - id: order
      title: an order
      triggers: [order]
      states:
        one:
          ask: "First number?"
          on: [{intent: answer, to: two}]
        two:
          ask: "Second number?"
          on: [{intent: answer, to: three}]
        three:
          ask: "Third number?"
          on: [{intent: answer, to: done}]
        done:
          say: "All three, thanks."
  """

private let today = CivilDate(year: 2026, month: 11, day: 29)

/// A wall clock the test moves by hand.
private final class FakeClock: @unchecked Sendable {
  var ms: Int64 = 1_800_000_000_000
}

/// A store whose commits fail on demand.
private final class FailingStore: SessionStore {
  let inner = MemorySessionStore()
  var failing = false
  func loadAll() throws(SessionStoreError) -> [StoredSession] { inner.loadAll() }
  func load(id: String) throws(SessionStoreError) -> StoredSession? { inner.load(id: id) }
  func commit(_ batch: SessionBatch) throws(SessionStoreError) {
    if failing { throw SessionStoreError(.io, path: "test", "disk full") }
    inner.commit(batch)
  }
  func expire(lastUsedBefore cutoff: Int64) throws(SessionStoreError) -> [String] {
    inner.expire(lastUsedBefore: cutoff)
  }
  func count() throws(SessionStoreError) -> Int { inner.count() }
}

@Suite struct SessionJournalTests {
  let engine: Engine

  init() throws {
    engine = Engine(
      bot: try BotLoader.load(files: [("bot/bot.yaml", journalBot)], directory: "bot"))
  }

  func request(_ session: String, _ text: String, id: Int) -> String {
    #"{"session":"\#(session)","text":"\#(text)","id":\#(id)}"#
  }

  /// Restarting on the same store after every line gives exactly the replies of one long run.
  @Test func restartsContinueConversations() throws {
    let script = (0..<4).flatMap { round in
      ["a", "b", "c"].map { s in
        (s, round == 0 ? "order please" : "\(round)")
      }
    }
    let reference = ProtocolServer(engine: engine)
    let expected = script.enumerated().map { i, turn in
      reference.handle(request(turn.0, turn.1, id: i), today: today)
    }
    let dir = TempDir()
    var got: [String] = []
    for (i, turn) in script.enumerated() {
      // A new process each time: new server, store reopened from the file.
      let store = try SQLiteSessionStore(path: dir.file("s.db"))
      let server = ProtocolServer(engine: engine)
      try server.attach(SessionJournal(store: store), now: 0)
      got.append(server.handle(request(turn.0, turn.1, id: i), now: 1, today: today))
      try server.persistSessions()
    }
    #expect(got == expected)
    #expect(got.last?.contains("All three, thanks.") == true)
  }

  @Test func endedAndDroppedSessionsAreDeleted() throws {
    let store = MemorySessionStore()
    let clock = FakeClock()
    var options = ProtocolServer.Options()
    options.maxSessions = 2
    options.idleSeconds = 60
    let server = ProtocolServer(engine: engine, options: options)
    try server.attach(SessionJournal(store: store, wallClock: { clock.ms }), now: 0)

    _ = server.handle(request("a", "order", id: 1), now: 0, today: today)
    _ = server.handle(request("b", "order", id: 2), now: 1, today: today)
    try server.persistSessions()
    #expect(store.loadAll().map(\.id) == ["a", "b"])

    _ = server.handle(request("c", "order", id: 3), now: 2, today: today)  // evicts a
    try server.persistSessions()
    #expect(Set(store.loadAll().map(\.id)) == ["b", "c"])

    _ = server.handle(request("b", "bye", id: 4), now: 3, today: today)  // ends b
    try server.persistSessions()
    #expect(store.loadAll().map(\.id) == ["c"])

    _ = server.handle(#"{"session":"d","event":"start"}"#, now: 4, today: today)
    _ = server.handle(#"{"session":"d","event":"end"}"#, now: 5, today: today)
    try server.persistSessions()
    #expect(store.loadAll().map(\.id) == ["c"])

    _ = server.handle(request("e", "order", id: 5), now: 100, today: today)  // c idles out
    try server.persistSessions()
    #expect(store.loadAll().map(\.id) == ["e"])
  }

  @Test func restoreSkipsSessionsIdleTooLong() throws {
    let store = MemorySessionStore()
    var batch = SessionBatch()
    let clock = FakeClock()
    batch.put("old", SessionState(flow: "order", state: "two"), lastUsed: clock.ms - 3_600_000)
    batch.put("new", SessionState(flow: "order", state: "two"), lastUsed: clock.ms - 1_000)
    store.commit(batch)
    var options = ProtocolServer.Options()
    options.idleSeconds = 600
    let server = ProtocolServer(engine: engine, options: options)
    try server.attach(SessionJournal(store: store, wallClock: { clock.ms }), now: 50)
    #expect(server.sessions.keys == ["new"])
    #expect(store.loadAll().map(\.id) == ["new"])
    // The restored session keeps its idle time: it expires 600 s after its last use.
    _ = server.handle(request("x", "order", id: 1), now: 50 + 598, today: today)
    #expect(server.sessions.peek("new") != nil)
    _ = server.handle(request("x", "order", id: 2), now: 50 + 600, today: today)
    #expect(server.sessions.peek("new") == nil)
  }

  @Test func restoreBeyondCapacityKeepsTheMostRecent() throws {
    let store = MemorySessionStore()
    let clock = FakeClock()
    var batch = SessionBatch()
    for i in 0..<5 {
      batch.put(
        "s\(i)", SessionState(flow: "order", state: "two"), lastUsed: clock.ms - 5 + Int64(i))
    }
    store.commit(batch)
    var options = ProtocolServer.Options()
    options.maxSessions = 3
    let server = ProtocolServer(engine: engine, options: options)
    try server.attach(SessionJournal(store: store, wallClock: { clock.ms }), now: 0)
    #expect(server.sessions.keys == ["s4", "s3", "s2"])
    #expect(store.loadAll().map(\.id) == ["s2", "s3", "s4"])
  }

  /// When the store cannot be written, the serve loop stops without writing those replies.
  @Test func noReplyIsWrittenWhenTheStoreFails() throws {
    let store = FailingStore()
    let server = ProtocolServer(engine: engine)
    try server.attach(SessionJournal(store: store), now: 0)
    var inFDs: [Int32] = [0, 0]
    var outFDs: [Int32] = [0, 0]
    #expect(pipe(&inFDs) == 0)
    #expect(pipe(&outFDs) == 0)
    let lines = request("a", "order", id: 1) + "\n" + request("a", "1", id: 2) + "\n"
    _ = lines.withCString { write(inFDs[1], $0, strlen($0)) }
    close(inFDs[1])
    store.failing = true
    let outcome = ServeLoop.run(
      server: server, input: inFDs[0], output: outFDs[1], clock: { 1 }, today: { today })
    close(outFDs[1])
    close(inFDs[0])
    #expect(outcome == .sessionStoreFailed(SessionStoreError(.io, path: "test", "disk full")))
    var buf = [UInt8](repeating: 0, count: 4096)
    #expect(read(outFDs[0], &buf, buf.count) == 0)  // nothing was written
    close(outFDs[0])
    #expect(store.inner.count() == 0)
  }
}
