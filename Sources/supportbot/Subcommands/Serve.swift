import ArgumentParser
import Foundation
import SupportBotKit

struct Serve: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Answer JSON requests, one per line on stdin, with one JSON reply per line.",
    discussion: "README.md (\"The JSON protocol\") documents requests, replies and error codes.")

  @OptionGroup var bot: BotOptions

  @Option(
    help: ArgumentHelp(
      "Longest request line in bytes; longer lines get a line_too_long error.",
      valueName: "bytes"))
  var maxLineBytes = 64 * 1024

  @Option(
    help: ArgumentHelp(
      "Most sessions kept at once; the least recently used is dropped beyond it.",
      valueName: "count"))
  var maxSessions = 100_000

  @Option(
    help: ArgumentHelp(
      "Seconds a session may stay idle before it is forgotten.", valueName: "seconds"))
  var idleTimeout: Double = 30 * 60

  @Option(
    help: ArgumentHelp(
      "Deepest nesting of arrays and objects accepted in a request (1 to 1000).",
      valueName: "levels"))
  var maxDepth = 32

  @Option(
    help: ArgumentHelp(
      "Keep conversations in this SQLite file, so they survive restarts and crashes.",
      valueName: "file"))
  var sessions: String?

  @Option(
    help: ArgumentHelp(
      "With --sessions: 'full' (survive power loss; an fsync per batch of replies) or "
        + "'normal' (survive a killed process).",
      valueName: "full|normal"))
  var sessionsSync: String = "full"

  @Option(
    help: ArgumentHelp(
      "Threads that run conversations (default: one per core, up to 8); replies are the same "
        + "and in the same order whatever the number.",
      valueName: "count"))
  var threads: Int?

  @Option(
    name: .customLong("today"),
    help: ArgumentHelp(
      "Date the conversations happen on (default: today, UTC).", valueName: "yyyy-mm-dd"))
  var date: String?

  func validate() throws {
    guard maxLineBytes > 0 else { throw ValidationError("--max-line-bytes must be positive") }
    guard maxSessions > 0 else { throw ValidationError("--max-sessions must be positive") }
    guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive") }
    guard (1...1000).contains(maxDepth) else {
      throw ValidationError("--max-depth must be between 1 and 1000")
    }
    guard SQLiteSessionStore.Durability(rawValue: sessionsSync) != nil else {
      throw ValidationError("--sessions-sync must be 'full' or 'normal'")
    }
    if let threads, !(1...64).contains(threads) {
      throw ValidationError("--threads must be between 1 and 64")
    }
    if let date, CivilDate(iso: date) == nil {
      throw ValidationError("--today must be a date like 2025-03-14")
    }
  }

  func run() throws {
    let loaded = try bot.loadBot()
    var options = ProtocolServer.Options()
    options.maxLineBytes = maxLineBytes
    options.maxSessions = maxSessions
    options.idleSeconds = idleTimeout
    options.maxDepth = maxDepth
    options.workers = threads ?? min(max(1, ProcessInfo.processInfo.activeProcessorCount), 8)
    let server = ProtocolServer(
      engine: Engine(bot: loaded, buildInBackground: true), options: options)
    if let sessions {
      do {
        let store = try SQLiteSessionStore(
          path: sessions, durability: SQLiteSessionStore.Durability(rawValue: sessionsSync) ?? .full
        )
        try server.attach(SessionJournal(store: store), now: ServeLoop.monotonicSeconds())
      } catch {
        stderr("supportbot serve: \(error)")
        throw ExitCode(1)
      }
    }
    let fixed = date.flatMap { CivilDate(iso: $0) }
    ServeLoop.installSignalHandlers()
    switch ServeLoop.run(server: server, today: { fixed ?? today() }) {
    case .finished, .terminated:
      return
    case .outputClosed:
      stderr("supportbot serve: standard output was closed")
      throw ExitCode(1)
    case .readFailed(let code):
      stderr("supportbot serve: reading standard input failed (errno \(code))")
      throw ExitCode(1)
    case .sessionStoreFailed(let error):
      stderr("supportbot serve: \(error); stopping without writing the replies it could not store")
      throw ExitCode(1)
    }
  }
}
