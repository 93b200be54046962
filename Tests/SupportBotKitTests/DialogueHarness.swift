import Foundation
import Testing

@testable import SupportBotKit

/// The shipped bot (the repository's `Intents/`), loaded once for the dialogue tests.
enum ShippedBot {
  static let directory: String = {
    URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Intents").path
  }()

  static let loaded: Result<Bot, BotLoadError> = {
    do throws(BotLoadError) {
      return .success(try BotLoader.load(directory: directory))
    } catch {
      return .failure(error)
    }
  }()

  static func bot() throws -> Bot { try loaded.get() }
}

/// A fixed "today" for every dialogue test: Sunday 29 November 2026 (never the clock).
let dialogueToday = CivilDate(year: 2026, month: 11, day: 29)

/// One conversation with the shipped bot, driven turn by turn.
struct Conversation {
  let engine: Engine
  var session: SessionState
  var today: CivilDate
  /// Every result so far, in order.
  var results: [StepResult] = []

  init(today: CivilDate = dialogueToday, session: SessionState = SessionState()) throws {
    engine = Engine(bot: try ShippedBot.bot())
    self.today = today
    self.session = session
  }

  /// Sends one message and returns the engine's result.
  @discardableResult
  mutating func say(_ text: String) -> StepResult {
    send(.text(text))
  }

  @discardableResult
  mutating func send(_ input: Turn.Input) -> StepResult {
    let r = engine.step(session, Turn(input, today: today))
    session = r.state
    results.append(r)
    return r
  }

  /// Sends each message in turn; returns the last result.
  @discardableResult
  mutating func say(_ texts: [String]) -> StepResult {
    var last: StepResult?
    for t in texts { last = say(t) }
    return last ?? send(.start)
  }

  var last: StepResult? { results.last }
  /// The last turn's replies as one string.
  var lastText: String { last?.replies.joined(separator: "\n") ?? "" }
  /// `flow.state` the session waits in, or "idle".
  var position: String {
    guard let f = session.flow, let s = session.state else { return "idle" }
    return "\(f).\(s)"
  }
  /// Every reply of the conversation so far.
  var allReplies: [String] { results.flatMap(\.replies) }
  /// Every state entered so far, as `flow.state`.
  var entered: [String] { results.flatMap(\.trace.entered) }
}

/// Everything a step emits or keeps, as text: replies, actions, slots, trace, session.
func everythingEmitted(_ r: StepResult) -> String {
  var parts: [String] = r.replies
  for a in r.actions {
    parts.append("\(a.reason) \(a.topic ?? "") \(a.flow ?? "") \(a.state ?? "")")
    parts += a.slots.map { "\($0.key)=\($0.value)" }
  }
  parts += r.state.slots.map { "\($0.key)=\($0.value)" }
  parts += r.state.lastReplies
  parts.append(r.trace.text ?? "")
  parts += r.trace.steps
  parts += r.trace.slotWrites.map { "\($0.slot)=\($0.value) \($0.source)" }
  if let c = r.trace.classification {
    parts.append(c.normalized)
    for cand in c.candidates {
      parts.append(cand.best.text)
      parts += cand.hits.map(\.text)
      parts += cand.captures.values
    }
  }
  if let data = try? JSONEncoder().encode(r.state), let json = String(data: data, encoding: .utf8) {
    parts.append(json)
  }
  return parts.joined(separator: "\n")
}

/// Problems with a reply a person would notice: placeholders, ids, empty or doubled spaces.
func replyProblems(_ reply: String, bot: Bot) -> [String] {
  var out: [String] = []
  if reply.contains("{") || reply.contains("}") { out.append("brace in \"\(reply)\"") }
  if reply.trimmingCharacters(in: .whitespaces).isEmpty { out.append("empty reply") }
  if reply.contains("  ") { out.append("double space in \"\(reply)\"") }
  if reply.contains("[redacted]") { out.append("redaction marker in \"\(reply)\"") }
  var ids = Set(bot.intents.map(\.id)).union(bot.flows.map(\.id))
  for f in bot.flows { ids.formUnion(f.stateOrder) }
  for id in ids where id.contains("_") && reply.contains(id) {
    out.append("id '\(id)' leaks into \"\(reply)\"")
  }
  return out
}
