/// The terminal chat without I/O: lines in (messages or `/commands`), things to show out.
/// The `chat` command reads and prints; everything it decides is here, so tests reach it.
public final class ChatSession {
  /// Where a chat starts.
  public struct Start: Sendable {
    public var platform: String?
    public var today: CivilDate
    /// Start inside this flow (at `state`, or the flow's start state).
    public var flow: String?
    public var state: String?
    public var slots: [String: SlotValue]

    public init(
      platform: String? = nil, today: CivilDate, flow: String? = nil, state: String? = nil,
      slots: [String: SlotValue] = [:]
    ) {
      self.platform = platform
      self.today = today
      self.flow = flow
      self.state = state
      self.slots = slots
    }
  }

  /// Something to show the user.
  public enum Output: Sendable, Equatable {
    /// The bot's replies to a turn.
    case replies([String])
    /// An action the host would perform (a hand-off), described for people.
    case action(String)
    /// Output of a command (`/why`, `/state`, `/help`).
    case info(String)
    /// A remark nobody asked for (where the chat starts): kept off stdout when piped.
    case note(String)
    /// A command that could not be carried out.
    case error(String)
    /// Write `transcript` to `path` (`/save`); the driver reports how it went.
    case save(path: String, transcript: String)
    /// Leave the chat.
    case quit
  }

  /// Why a chat could not start.
  public struct StartError: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  public let engine: Engine
  public private(set) var session: SessionState
  public private(set) var log: ConversationLog
  /// The last text turn: the state before it and the engine's result (for `/why`).
  public private(set) var lastTurn: (text: String, before: SessionState, result: StepResult)?
  private let today: CivilDate

  public static let help = """
    Type a message to talk to the bot. Commands:
      /help         this list
      /why          why the last message got its intent: candidates, pattern, spans, states
      /state        the current flow, state and slots
      /reset        start the conversation over
      /save FILE    write the conversation so far as a transcript (replays with `test`)
      /quit         leave (Ctrl-D and Ctrl-C work too)
    A line starting with // sends the rest, starting with /, as a message.
    """

  public init(engine: Engine, start: Start) throws(StartError) {
    self.engine = engine
    self.today = start.today
    var state = SessionState()
    if let flowID = start.flow {
      guard let flow = engine.bot.flow(flowID) else {
        let known = engine.bot.flows.map(\.id).sorted().joined(separator: ", ")
        throw StartError(description: "no flow \"\(flowID)\" (flows: \(known))")
      }
      let stateID = start.state ?? flow.start
      guard flow.state(stateID) != nil else {
        throw StartError(description: "flow \"\(flowID)\" has no state \"\(stateID)\"")
      }
      state = SessionState(flow: flowID, state: stateID, slots: start.slots)
    } else if start.state != nil {
      throw StartError(description: "a start state needs its flow too")
    } else {
      state.slots = start.slots
    }
    self.session = state
    self.log = ConversationLog(
      platform: start.platform, today: start.today, startFlow: state.flow,
      startState: state.flow == nil ? nil : state.state, startSlots: start.slots)
  }

  /// Opens the chat: the greeting, unless it starts inside a flow (then a note of where).
  public func open() -> [Output] {
    if let flow = session.flow {
      var note = "starting in \(flow).\(session.state ?? "")"
      if !session.slots.isEmpty { note += " with " + Self.describe(session.slots) }
      return [.note(note)]
    }
    return step(.start)
  }

  /// Handles one line the user typed.
  /// Terminal control sequences are removed first: they are never part of a message.
  public func handle(_ typed: String) -> [Output] {
    let line = TerminalText.sanitize(typed, keepNewlines: false)
    let trimmed = line.trimmedOf(" \t\r")
    if trimmed.isEmpty { return [] }  // an empty line is not a message
    if trimmed.hasPrefix("//") { return message(String(trimmed.dropFirst())) }
    guard trimmed.hasPrefix("/") else { return message(line) }
    let parts = trimmed.split(separator: " ", maxSplits: 1)
    let command = parts.first.map(String.init) ?? trimmed
    let argument = parts.count > 1 ? String(parts[1]).trimmedOf(" \t") : ""
    switch command {
    case "/help", "/?":
      return [.info(Self.help)]
    case "/quit", "/exit", "/q":
      return [.quit]
    case "/reset":
      return step(.reset)
    case "/state":
      return [.info(stateText())]
    case "/why":
      return [why()]
    case "/save":
      guard !argument.isEmpty else { return [.error("usage: /save FILE")] }
      return [.save(path: argument, transcript: TranscriptRecorder.render(log))]
    default:
      let shown = TerminalText.sanitize(command, keepNewlines: false)
      return [.error("unknown command \(shown) (type /help for the list)")]
    }
  }

  private func message(_ text: String) -> [Output] {
    let before = session
    let out = step(.text(text))
    if let result = log.turns.last?.result { lastTurn = (text, before, result) }
    return out
  }

  private func step(_ input: Turn.Input) -> [Output] {
    let result = engine.step(session, Turn(input, today: today))
    session = result.state
    log.append(input, result)
    var out: [Output] = []
    if !result.replies.isEmpty { out.append(.replies(result.replies)) }
    for a in result.actions {
      var s = "hand-off to a person (\(a.reason))"
      if let topic = a.topic { s += ", topic: \(topic)" }
      if !a.slots.isEmpty {
        s +=
          ", collected: "
          + a.slots.sorted { $0.key < $1.key }
          .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
      }
      out.append(.action(s))
    }
    return out
  }

  /// `/state`: where the conversation is.
  public func stateText() -> String {
    var lines: [String] = []
    if let flow = session.flow {
      lines.append("flow: \(flow)")
      lines.append("state: \(session.state ?? "-")")
    } else {
      lines.append("flow: none (idle)")
    }
    lines.append("slots: " + (session.slots.isEmpty ? "none" : Self.describe(session.slots)))
    lines.append("turns: \(session.turns)")
    if session.tries > 0 { lines.append("failed answers to this question: \(session.tries)") }
    if session.fallbacks > 0 { lines.append("misunderstood in a row: \(session.fallbacks)") }
    if session.ended { lines.append("ended: the next message starts afresh") }
    return lines.joined(separator: "\n")
  }

  /// `/why`: the last message's classification and what it did to the state.
  func why() -> Output {
    guard let last = lastTurn else { return .error("nothing to explain yet: send a message first") }
    var text = ExplainFormatter.text(last.result.trace)
    let before = last.before.slots
    let after = last.result.state.slots
    if before != after || !after.isEmpty {
      text += "\nslots before: " + (before.isEmpty ? "none" : Self.describe(before))
      text += "\nslots after: " + (after.isEmpty ? "none" : Self.describe(after))
    }
    return .info(text)
  }

  static func describe(_ slots: [String: SlotValue]) -> String {
    slots.sorted { $0.key < $1.key }.map { k, v in
      switch v {
      case .number(let n): "\(k)=\(n)"
      case .string(let s): "\(k)=\"\(s)\""
      }
    }.joined(separator: " ")
  }

  /// Parses `key=value` (a number if it looks like one) for `--slot`.
  public static func parseSlot(_ s: String) -> (String, SlotValue)? {
    guard let eq = s.firstIndex(of: "="), eq != s.startIndex else { return nil }
    let key = String(s[..<eq])
    let raw = String(s[s.index(after: eq)...])
    return (key, Int(raw).map(SlotValue.number) ?? .string(raw))
  }
}

extension String {
  fileprivate func trimmedOf(_ set: String) -> String {
    let chars = Set(set)
    var s = Substring(self)
    while let f = s.first, chars.contains(f) { s.removeFirst() }
    while let l = s.last, chars.contains(l) { s.removeLast() }
    return String(s)
  }
}
