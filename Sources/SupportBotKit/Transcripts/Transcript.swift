import PCRE2

/// A conversation test: starting settings and turns, each with what the bot must answer.
///
/// Read from a `.convo` file by ``TranscriptParser``; the format is described in the README's
/// "Transcripts" section.
public struct Transcript: Sendable {
  /// The file it was read from (as given), used in every failure message.
  public var path: String
  public var title: String
  public var tags: [String]
  /// Overrides the bot's `platform` setting.
  public var platform: String?
  /// The date every turn happens on (deterministic replays).
  public var today: CivilDate
  /// Start inside this flow (at `startState`, or the flow's start state).
  public var startFlow: String?
  public var startState: String?
  public var startSlots: [String: SlotValue]
  /// Line of the `start:` header, for errors about an unknown flow or state.
  public var startLine: Int?
  public var turns: [TranscriptTurn]

  /// The date a transcript without `today:` uses, so relative dates replay the same.
  public static let defaultToday = CivilDate(year: 2026, month: 1, day: 15)

  public init(
    path: String, title: String, tags: [String] = [], platform: String? = nil,
    today: CivilDate = Transcript.defaultToday, startFlow: String? = nil,
    startState: String? = nil, startSlots: [String: SlotValue] = [:], turns: [TranscriptTurn] = []
  ) {
    self.path = path
    self.title = title
    self.tags = tags
    self.platform = platform
    self.today = today
    self.startFlow = startFlow
    self.startState = startState
    self.startSlots = startSlots
    self.turns = turns
  }
}

/// One user turn and what must come back.
public struct TranscriptTurn: Sendable {
  /// Line of the `>` line (1-based).
  public var line: Int
  public var input: Turn.Input
  /// Expectations for the reply lines, in order.
  public var replies: [ReplyExpectation]
  public var assertions: [TurnAssertion]

  public init(
    line: Int, input: Turn.Input, replies: [ReplyExpectation] = [],
    assertions: [TurnAssertion] = []
  ) {
    self.line = line
    self.input = input
    self.replies = replies
    self.assertions = assertions
  }
}

/// What one reply line must be (or, for `anything`/`nothing`, what the replies may be).
public struct ReplyExpectation: Sendable {
  public enum Kind: Sendable {
    /// `< text`: the whole reply equals the text ("Hi" does not match "Hi there").
    case exact(String)
    /// `<~ text`: the reply contains the text (case-sensitive).
    case contains(String)
    /// `</ pattern /flags`: the pattern matches somewhere in the reply (anchor with ^ and $).
    case regex(source: String, pattern: Pattern)
    /// `<| a` then `| b` lines: the reply equals one of the alternatives.
    case anyOf([String])
    /// `<*`: any number of reply lines, including none.
    case anything
    /// `<-`: the bot says nothing at all this turn.
    case nothing
  }

  public var line: Int
  public var kind: Kind

  public init(line: Int, kind: Kind) {
    self.line = line
    self.kind = kind
  }

  /// Whether this expectation accepts one reply line (`anything` and `nothing` never do here).
  public func accepts(_ reply: String) -> Bool {
    switch kind {
    case .exact(let s): return reply == s
    case .contains(let s): return reply.contains(s)
    case .regex(_, let p):
      let scratch = MatchScratch(groups: p.captureCount)
      return (try? p.firstMatch(in: reply, scratch: scratch)) != nil
    case .anyOf(let alts): return alts.contains(reply)
    case .anything, .nothing: return false
    }
  }

  /// How the expectation reads in the file (for diffs).
  public var written: String {
    switch kind {
    case .exact(let s): return "< " + TranscriptSyntax.escape(s)
    case .contains(let s): return "<~ " + TranscriptSyntax.escape(s)
    case .regex(let src, _): return "</ \(src) /"
    case .anyOf(let alts):
      return alts.enumerated().map {
        ($0.offset == 0 ? "<| " : "| ") + TranscriptSyntax.escape($0.element)
      }
      .joined(separator: " ")
    case .anything: return "<*"
    case .nothing: return "<-"
    }
  }
}

/// A check on the engine's result for a turn, beyond the reply text.
public struct TurnAssertion: Sendable {
  public enum Kind: Sendable, Equatable {
    /// `intent: id` (`none` for no intent).
    case intent(String?)
    /// `entities: k=v, …` (the whole set; `none` for no entities).
    case entities([String: String])
    /// `flow: id` after the turn (`none` when idle).
    case flow(String?)
    /// `state: flow.state` or `state: state` after the turn (`none` when idle).
    case state(flow: String?, state: String?)
    /// `slot k = v` after the turn; `slot k unset`.
    case slot(String, SlotValue?)
    /// `action: handoff` or `action: handoff (reason)`; several lines list every action in
    /// order; `action: none` asserts there is none.
    case action(kind: String, reason: String?)
    case noAction
    /// `ended: yes|no`: whether the conversation ended.
    case ended(Bool)
    /// `never: text`: no reply, slot or action carries the text (for secrets).
    case never(String)
  }

  public var line: Int
  public var kind: Kind

  public init(line: Int, kind: Kind) {
    self.line = line
    self.kind = kind
  }
}

/// Escaping shared by the parser and the recorder: `\n` is a newline, `\\` a backslash, `\s` a
/// space (for a line that ends in one), and a user line starting with `\@` is literal text
/// rather than an event.
public enum TranscriptSyntax {
  public static let fileExtension = "convo"

  public static func escape(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default: out.append(c)
      }
    }
    // Trailing spaces would be trimmed by editors and the parser: write the last one as `\s`.
    if out.hasSuffix(" ") { out = out.dropLast() + "\\s" }
    return out
  }

  public static func unescape(_ s: Substring) -> String {
    var out = ""
    var i = s.startIndex
    while i < s.endIndex {
      let c = s[i]
      let next = s.index(after: i)
      if c == "\\", next < s.endIndex {
        switch s[next] {
        case "\\": out.append("\\")
        case "n": out.append("\n")
        case "r": out.append("\r")
        case "t": out.append("\t")
        case "s": out.append(" ")
        case "@": out.append("@")
        case "\"": out.append("\"")
        default:
          out.append("\\")
          out.append(s[next])
        }
        i = s.index(after: next)
      } else {
        out.append(c)
        i = next
      }
    }
    return out
  }

  /// A slot value as written after `slot k =`: numbers bare, strings quoted.
  public static func slotValue(_ v: SlotValue) -> String {
    switch v {
    case .number(let n): return String(n)
    case .string(let s): return "\"" + escape(s).replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
  }
}
