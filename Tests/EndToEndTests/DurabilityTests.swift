import Foundation
import SupportBotKit
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `serve --sessions`: killed with SIGKILL between turns and in the middle of a stream, then
/// restarted on the same file, every conversation goes on from its last emitted reply.
@Suite(.serialized) struct DurabilityTests {
  static let day = "2025-03-14"
  static let bot = ["--intents", Paths.fixtureBot, "--today", day]

  /// Conversations over the fixture bot; `@x` is the event x.
  static let scripts: [[String]] = [
    ["@start", "close my account", "maybe", "yes", "where is order 42", "close my account", "no"],
    ["close my account", "where is order 7", "yes", "close my account", "a person please", "hi"],
    [
      "@start", "hmm", "huh", "close my account", "@reset", "close my account", "nope", "@end", "x",
    ],
    ["tell me everything", "close my account", "bye", "close my account", "yes", "hello?"],
  ]

  struct Turn {
    var session: Int
    var index: Int
    var token: String
    var id: Int { session * 1000 + index }
    var line: String {
      let key = #""session":"s\#(session)","id":\#(id)"#
      if token.hasPrefix("@") { return #"{\#(key),"event":"\#(token.dropFirst())"}"# }
      return #"{\#(key),"text":"\#(token)"}"#
    }
  }

  /// Every session's turns, interleaved round-robin (the order a busy server sees them).
  static func interleaved(sessions: Int, repeats: Int) -> (turns: [Turn], perSession: [[Turn]]) {
    var perSession: [[Turn]] = []
    for s in 0..<sessions {
      let tokens = Array([[String]](repeating: scripts[s % scripts.count], count: repeats).joined())
      perSession.append(tokens.enumerated().map { Turn(session: s, index: $0, token: $1) })
    }
    var turns: [Turn] = []
    let longest = perSession.map(\.count).max() ?? 0
    for i in 0..<longest {
      for s in perSession where i < s.count { turns.append(s[i]) }
    }
    return (turns, perSession)
  }

  /// The replies one uninterrupted in-memory server gives, by request id.
  static func reference(_ turns: [Turn]) throws -> [Int: String] {
    let r = try run(["serve"] + bot, stdin: Data(turns.map { $0.line + "\n" }.joined().utf8))
    try #require(r.status == 0 && r.lines.count == turns.count)
    var out: [Int: String] = [:]
    for (t, line) in zip(turns, r.lines) { out[t.id] = line }
    return out
  }

  /// The state a session is stored with after each number of turns (index k: after k turns;
  /// nil: not stored), computed with the engine in-process, as the server keeps it.
  static func expectedStates(_ turns: [Turn], _ engine: Engine) throws -> [SessionState?] {
    let today = try #require(CivilDate(iso: day))
    var state: SessionState?
    var out: [SessionState?] = [nil]
    for t in turns {
      let input: SupportBotKit.Turn.Input =
        switch t.token {
        case "@start": .start
        case "@reset": .reset
        case "@end": .end
        default: .text(t.token)
        }
      let r = engine.step(state ?? SessionState(), SupportBotKit.Turn(input, today: today))
      state = r.state.ended || input == .end ? nil : r.state
      out.append(state)
    }
    return out
  }

  /// Reads the store as a restarted server would (the killed one has let go of the file).
  static func stored(_ path: String) throws -> [String: SessionState] {
    let store = try SQLiteSessionStore(path: path)
    return Dictionary(uniqueKeysWithValues: try store.loadAll().map { ($0.id, $0.state) })
  }

  @Test func killedBetweenTurnsResumesEveryConversation() throws {
    let (turns, perSession) = Self.interleaved(sessions: 6, repeats: 1)
    let expected = try Self.reference(turns)
    let engine = Engine(bot: try BotLoader.load(directory: Paths.fixtureBot))
    let states = try perSession.map { try Self.expectedStates($0, engine) }
    let dir = TempFiles()
    let file = dir.path("sessions.db")
    var server = try ServeProcess(["serve", "--sessions", file] + Self.bot)
    var answered = [Int](repeating: 0, count: perSession.count)
    var kills = 0
    for (n, t) in turns.enumerated() {
      try #require(server.send(t.line))
      let reply = try #require(server.readLine(), "no reply to \(t.line)")
      #expect(reply == expected[t.id], "turn \(t.line)")
      answered[t.session] += 1
      if n % 5 == 4 {
        server.kill9()
        kills += 1
        let db = try Self.stored(file)
        for s in perSession.indices {
          #expect(db["s\(s)"] == states[s][answered[s]], "session s\(s) after \(answered[s]) turns")
        }
        server = try ServeProcess(["serve", "--sessions", file] + Self.bot)
      }
    }
    server.closeInput()
    #expect(server.waitForExit() == 0)
    #expect(kills >= 8)
  }

  @Test func killedMidStreamLosesNoEmittedReply() throws {
    try killMidStream(stopReading: false)
  }

  /// The client stops reading, so the server blocks writing a batch it has already stored.
  @Test func killedWhileBlockedWritingLosesNoEmittedReply() throws {
    try killMidStream(stopReading: true)
  }

  func killMidStream(stopReading: Bool) throws {
    let (turns, perSession) = Self.interleaved(sessions: 300, repeats: 2)
    let expected = try Self.reference(turns)
    let dir = TempFiles()
    let file = dir.path("sessions.db")
    let server = try ServeProcess(["serve", "--sessions", file] + Self.bot)
    var emitted: [String] = []
    if stopReading {
      server.pauseReading()
      server.sendInBackground(turns.map(\.line), slice: 1_000, pauseMicroseconds: 0)
      usleep(1_000_000)
      server.kill9()
      server.resumeReading()
    } else {
      // Feed the stream in slices, so the kill lands while input is still arriving.
      server.sendInBackground(turns.map(\.line), slice: 200, pauseMicroseconds: 5_000)
      while emitted.count < turns.count / 3, let line = server.readLine() { emitted.append(line) }
      server.kill9()
    }
    emitted += server.drain()
    #expect(emitted.count < turns.count, "the kill should land mid-stream")

    // Every emitted reply is the right one, and each session's are a prefix of its turns.
    var answered = [Int](repeating: 0, count: perSession.count)
    for line in emitted {
      let reply = try object(line)
      let id = try #require(reply["id"] as? Int)
      #expect(line == expected[id])
      let (s, i) = (id / 1000, id % 1000)
      #expect(i == answered[s], "replies of s\(s) out of order")
      answered[s] = i + 1
    }

    // The store holds each session at its last emitted reply or later, never earlier. Later
    // only for the batch being written when the process died: the lines of at most two
    // 64 KiB reads of input, whose state was stored before their replies could be written.
    let db = try Self.stored(file)
    let engine = Engine(bot: try BotLoader.load(directory: Paths.fixtureBot))
    var resumeAt = answered
    var aheadSessions = 0
    var aheadTurns = 0
    for s in perSession.indices {
      let states = try Self.expectedStates(perSession[s], engine)
      let candidates = (answered[s]..<states.count).filter { states[$0] == db["s\(s)"] }
      let at = try #require(
        candidates.first, "s\(s): stored state matches no turn at or after \(answered[s])")
      if at > answered[s] { aheadSessions += 1 }
      aheadTurns += at - answered[s]
      resumeAt[s] = at
    }
    let shortest = turns.map { $0.line.utf8.count + 1 }.min() ?? 1
    #expect(aheadTurns <= 2 * 65_536 / shortest, "\(aheadTurns) turns stored but not emitted")
    print(
      "durability (stopReading: \(stopReading)): killed after \(emitted.count) of \(turns.count) "
        + "replies; \(aheadSessions) sessions (\(aheadTurns) turns) stored ahead of their last "
        + "emitted reply")

    // A restarted server continues every conversation where the store left it.
    let rest = turns.filter { $0.index >= resumeAt[$0.session] }
    let again = try ServeProcess(["serve", "--sessions", file] + Self.bot)
    again.sendInBackground(rest.map(\.line), slice: 1_000, pauseMicroseconds: 0)
    for t in rest {
      let line = try #require(again.readLine(), "no reply to \(t.line)")
      #expect(line == expected[t.id], "after restart: \(t.line)")
    }
    again.closeInput()
    #expect(again.waitForExit() == 0)
  }

  @Test func aSecondServerOnTheSameFileIsRefused() throws {
    let dir = TempFiles()
    let file = dir.path("sessions.db")
    let first = try ServeProcess(["serve", "--sessions", file] + Self.bot)
    try #require(first.send(#"{"session":"a","text":"close my account"}"#))
    _ = try #require(first.readLine())
    let second = try run(["serve", "--sessions", file] + Self.bot, stdin: Data())
    #expect(second.status == 1)
    #expect(second.err.contains("in use by another process"))
    #expect(second.out.isEmpty)
    first.closeInput()
    #expect(first.waitForExit() == 0)
  }

  @Test func aFileFromElsewhereIsRefusedClearly() throws {
    let dir = TempFiles()
    let file = dir.path("notes.txt")
    try Data("not a database\n".utf8).write(to: URL(fileURLWithPath: file))
    let r = try run(["serve", "--sessions", file] + Self.bot, stdin: Data("{}\n".utf8))
    #expect(r.status == 1)
    #expect(r.out.isEmpty)
    #expect(r.err.contains("sessions file \(file): is not an SQLite database"))
    let bad = try run(["serve", "--sessions", file, "--sessions-sync", "sometimes"] + Self.bot)
    #expect(bad.status != 0)
    #expect(bad.err.contains("--sessions-sync must be 'full' or 'normal'"))
  }
}

/// A temporary directory, removed when the value goes away.
final class TempFiles {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("supportbot-durability-\(UUID().uuidString)")
  init() { try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
  func path(_ name: String) -> String { url.appendingPathComponent(name).path }
  deinit { try? FileManager.default.removeItem(at: url) }
}

/// A `supportbot` process with pipes, that can be fed from another thread and SIGKILLed.
final class ServeProcess: @unchecked Sendable {
  let process = Process()
  private let input = Pipe()
  private let output = Pipe()
  private let condition = NSCondition()
  private var buffer = Data()
  private var eof = false
  private var paused = false

  init(_ args: [String]) throws {
    signal(SIGPIPE, SIG_IGN)  // writing to a killed server must fail, not kill the tests
    process.executableURL = URL(fileURLWithPath: Paths.binary)
    process.arguments = args
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let fd = output.fileHandleForReading.fileDescriptor
    Thread { [self] in
      var chunk = [UInt8](repeating: 0, count: 65_536)
      while true {
        condition.lock()
        while paused { condition.wait() }
        condition.unlock()
        let n = read(fd, &chunk, chunk.count)
        if n < 0 && errno == EINTR { continue }
        condition.lock()
        if n <= 0 { eof = true } else { buffer.append(contentsOf: chunk[0..<n]) }
        condition.broadcast()
        condition.unlock()
        if n <= 0 { return }
      }
    }.start()
  }

  /// Writes one line; false once the server is gone.
  @discardableResult
  func send(_ line: String) -> Bool { write(Array((line + "\n").utf8)) }

  private func write(_ bytes: [UInt8]) -> Bool {
    let fd = input.fileHandleForWriting.fileDescriptor
    var off = 0
    while off < bytes.count {
      let n = bytes[off...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return false }
      off += n
    }
    return true
  }

  /// Feeds lines from a background thread, `slice` at a time with a pause between slices.
  func sendInBackground(_ lines: [String], slice: Int, pauseMicroseconds: UInt32) {
    Thread { [self] in
      var i = 0
      while i < lines.count {
        let chunk = lines[i..<min(i + slice, lines.count)].map { $0 + "\n" }.joined()
        if !write(Array(chunk.utf8)) { return }
        i += slice
        if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
      }
    }.start()
  }

  /// The next complete line, or nil at end of output or after `timeout` seconds.
  func readLine(timeout: Double = 30) -> String? {
    let deadline = Date().addingTimeInterval(timeout)
    condition.lock()
    defer { condition.unlock() }
    while true {
      if let nl = buffer.firstIndex(of: 0x0A) {
        let line = String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
        buffer.removeSubrange(buffer.startIndex...nl)
        return line
      }
      if eof || !condition.wait(until: deadline) { return nil }
    }
  }

  /// Stops taking the server's output (its writes block once the pipe is full).
  func pauseReading() {
    condition.lock()
    paused = true
    condition.unlock()
  }

  func resumeReading() {
    condition.lock()
    paused = false
    condition.broadcast()
    condition.unlock()
  }

  /// SIGKILL, and wait until the process is gone.
  func kill9() {
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    closeInput()
  }

  /// After the process ended: every complete line it wrote that was not read yet.
  func drain() -> [String] {
    var lines: [String] = []
    while let line = readLine(timeout: 10) { lines.append(line) }
    return lines
  }

  func closeInput() { try? input.fileHandleForWriting.close() }

  func waitForExit(timeout: Double = 30) -> Int32? { process.waitForExit(timeout: timeout) }

  deinit {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
  }
}
