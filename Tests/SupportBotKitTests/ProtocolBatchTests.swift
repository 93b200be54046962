import Foundation
import Testing

@testable import SupportBotKit

private let day = CivilDate(year: 2026, month: 1, day: 15)

/// Request lines over `sessions` interleaved sessions, with events, explain requests, lines
/// that fail and an over-long line among them.
private func mixedLines(count: Int, sessions: Int) -> [String] {
  let texts = [
    "I want to delete my account", "yes", "no", "I need a person", "bye", "delete my account",
    "my card is 4111 1111 1111 1111", "order 42", "hello?", "close my account please",
  ]
  var out: [String] = []
  for k in 0..<count {
    let session = "s\(k % sessions)"
    switch k % 23 {
    case 5: out.append("{\"id\":\(k),\"session\":\"\(session)\",\"event\":\"start\"}")
    case 9: out.append("{\"id\":\(k),\"session\":\"\(session)\",\"event\":\"end\"}")
    case 13: out.append("{\"id\":\(k),\"session\":\"\(session)\",\"text\":7}")
    case 17: out.append("{\"id\":\(k),\"session\":")
    case 19: out.append("")
    case 21: out.append("{\"id\":\(k),\"text\":\"delete my account\"}")
    default:
      let explain = k % 7 == 0 ? ",\"explain\":true" : ""
      out.append(
        "{\"id\":\(k),\"session\":\"\(session)\",\"text\":\"\(texts[k % texts.count])\"\(explain)}"
      )
    }
  }
  out.insert(
    "{\"id\":\"long\",\"session\":\"s1\",\"text\":\"" + String(repeating: "a", count: 300) + "\"}",
    at: 30)
  return out
}

/// Answers `lines` one `handle` call at a time; returns the output and the server.
private func lineByLine(
  _ lines: [String], options: ProtocolServer.Options, bot: Bot, times: [Double]? = nil,
  journal: SessionJournal? = nil
) throws -> (String, ProtocolServer) {
  let server = ProtocolServer(engine: Engine(bot: bot), options: options)
  if let journal { try server.attach(journal, now: 0) }
  var out: [UInt8] = []
  for (n, line) in lines.enumerated() {
    var bytes = Array(line.utf8)
    let now = times?[n] ?? 0
    bytes.withUnsafeMutableBufferPointer { b in
      server.handle(line: UnsafeBufferPointer(b), now: now, today: day, into: &out)
    }
  }
  try server.persistSessions()
  return (String(decoding: out, as: UTF8.self), server)
}

/// Answers `lines` in batches of `size` with `workers` workers; each batch uses the time of
/// its first line. `pipelined` starts each batch while the previous one may still be running
/// (``ProtocolServer/begin(_:now:today:into:)``, as `serve` does), finishing only at the end.
private func inBatches(
  _ lines: [String], size: Int, workers: Int, options: ProtocolServer.Options, bot: Bot,
  times: [Double]? = nil, journal: SessionJournal? = nil, pipelined: Bool = false
) throws -> (String, ProtocolServer) {
  var options = options
  options.workers = workers
  let server = ProtocolServer(engine: Engine(bot: bot), options: options)
  if let journal { try server.attach(journal, now: 0) }
  var out: [UInt8] = []
  var batch = ProtocolServer.Batch()
  var start = 0
  while start < lines.count {
    let end = min(start + size, lines.count)
    for line in lines[start..<end] {
      var bytes = Array(line.utf8)
      bytes.withUnsafeMutableBufferPointer { b in
        server.enqueue(line: UnsafeBufferPointer(b), into: &batch)
      }
    }
    if pipelined {
      server.begin(&batch, now: times?[start] ?? 0, today: day, into: &out)
    } else {
      server.answer(&batch, now: times?[start] ?? 0, today: day, into: &out)
      #expect(!server.isRunning)
    }
    #expect(batch.count == 0)
    try server.persistSessions()
    start = end
  }
  server.finish(into: &out)
  #expect(!server.isRunning)
  try server.persistSessions()
  return (String(decoding: out, as: UTF8.self), server)
}

private func sameSessions(_ a: ProtocolServer, _ b: ProtocolServer) -> Bool {
  a.sessions.keys == b.sessions.keys
    && a.sessions.keys.allSatisfy { a.sessions.peek($0) == b.sessions.peek($0) }
    && a.linesServed == b.linesServed
}

@Suite struct ProtocolBatchTests {
  @Test(
    "Batches answer exactly as line by line, whatever the workers and the batch size",
    arguments: [(1, 1), (2, 1), (2, 7), (2, 64), (3, 50), (2, 1000)], [false, true])
  func sameAsLineByLine(shape: (workers: Int, size: Int), pipelined: Bool) throws {
    let (workers, size) = shape
    let bot = try protocolTestBot()
    var options = ProtocolServer.Options()
    options.maxLineBytes = 200
    let lines = mixedLines(count: 600, sessions: 40)
    let (expected, reference) = try lineByLine(lines, options: options, bot: bot)
    let (got, server) = try inBatches(
      lines, size: size, workers: workers, options: options, bot: bot, pipelined: pipelined)
    #expect(got == expected)
    #expect(got.split(separator: "\n", omittingEmptySubsequences: false).count == lines.count + 1)
    #expect(sameSessions(server, reference))
    #expect((server.parallelBatches > 0) == (workers > 1 && size >= 8))
  }

  @Test("The shipped bot answers the same on two workers", arguments: [false, true])
  func shippedBot(pipelined: Bool) throws {
    let bot = try ShippedBot.bot()
    let lines = mixedLines(count: 400, sessions: 25)
    let (expected, _) = try lineByLine(lines, options: ProtocolServer.Options(), bot: bot)
    let (got, server) = try inBatches(
      lines, size: 100, workers: 2, options: ProtocolServer.Options(), bot: bot,
      pipelined: pipelined)
    #expect(got == expected)
    #expect(server.parallelBatches > 0)
  }

  /// Answers `count` mixed lines over `sessions` sessions line by line and in batches of
  /// `size` with a table of `maxSessions`; checks replies, sessions and evictions agree and
  /// returns the batched server.
  private func limitedTable(
    maxSessions: Int, count: Int, sessions: Int, size: Int, pipelined: Bool
  ) throws -> ProtocolServer {
    let bot = try protocolTestBot()
    var options = ProtocolServer.Options()
    options.maxSessions = maxSessions
    let lines = mixedLines(count: count, sessions: sessions)
    let (expected, reference) = try lineByLine(lines, options: options, bot: bot)
    let (got, server) = try inBatches(
      lines, size: size, workers: 2, options: options, bot: bot, pipelined: pipelined)
    #expect(got == expected)
    #expect(sameSessions(server, reference))
    #expect(server.sessions.evicted == reference.sessions.evicted)
    return server
  }

  @Test(
    "A full session table (evictions inside a batch) still gives line-by-line results",
    arguments: [false, true])
  func fullTable(pipelined: Bool) throws {
    let server = try limitedTable(
      maxSessions: 5, count: 300, sessions: 12, size: 40, pipelined: pipelined)
    #expect(server.sessions.evicted > 0)
  }

  @Test(
    "A table too full to take every session of a batch, but with room for the new ones, still runs batches in parallel",
    arguments: [false, true])
  func nearlyFullTable(pipelined: Bool) throws {
    let server = try limitedTable(
      maxSessions: 45, count: 400, sessions: 40, size: 60, pipelined: pipelined)
    // After the first batches all 40 sessions are known: 40 + 40 > 45, yet none is new.
    #expect(server.parallelBatches >= 4)
  }

  @Test("Idle sessions expire as they would line by line", arguments: [false, true])
  func idleExpiry(pipelined: Bool) throws {
    let bot = try protocolTestBot()
    var options = ProtocolServer.Options()
    options.idleSeconds = 5
    let lines = mixedLines(count: 300, sessions: 20)
    // Time jumps every 30 lines; every line of a batch shares its first line's time.
    let times = lines.indices.map { Double($0 / 30) * 4 }
    let (expected, reference) = try lineByLine(lines, options: options, bot: bot, times: times)
    let (got, server) = try inBatches(
      lines, size: 30, workers: 2, options: options, bot: bot, times: times,
      pipelined: pipelined)
    #expect(got == expected)
    #expect(sameSessions(server, reference))
    #expect(server.sessions.expired == reference.sessions.expired)
    #expect(server.sessions.expired > 0 && server.parallelBatches > 0)
  }

  @Test("The session journal sees the same sessions", arguments: [false, true])
  func journal(pipelined: Bool) throws {
    let bot = try protocolTestBot()
    var options = ProtocolServer.Options()
    options.maxSessions = 30
    let lines = mixedLines(count: 300, sessions: 20)
    let storeA = MemorySessionStore()
    let storeB = MemorySessionStore()
    let (expected, _) = try lineByLine(
      lines, options: options, bot: bot, journal: SessionJournal(store: storeA) { 1 })
    let (got, server) = try inBatches(
      lines, size: 50, workers: 2, options: options, bot: bot,
      journal: SessionJournal(store: storeB) { 1 }, pipelined: pipelined)
    #expect(got == expected)
    #expect(storeA.loadAll() == storeB.loadAll())
    #expect(server.parallelBatches > 0)
  }
}
