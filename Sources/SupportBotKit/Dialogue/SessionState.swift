/// Everything the engine remembers about one conversation. A small `Codable` value: it can be
/// stored, restored and compared. It never holds secrets: text is redacted before any of it
/// reaches a slot.
public struct SessionState: Codable, Sendable, Equatable {
  /// Format version of this value, for stores that outlive a release.
  public static let currentVersion = 1

  public var version: Int = SessionState.currentVersion
  /// The active flow, or nil when idle.
  public var flow: String?
  /// The state within `flow` that waits for the user's answer.
  public var state: String?
  public var slots: [String: SlotValue] = [:]
  /// Answers that did not fit the current question, in a row.
  public var tries = 0
  /// Messages not understood outside a flow, in a row.
  public var fallbacks = 0
  /// User turns so far; picks among alternative phrasings.
  public var turns = 0
  /// What the bot said last, for "repeat".
  public var lastReplies: [String] = []
  /// The conversation was ended (goodbye or hand-off); the next message starts afresh.
  public var ended = false

  public init() {}

  /// A session that starts inside a flow state with some slots set (for authors and tests).
  public init(flow: String?, state: String?, slots: [String: SlotValue] = [:]) {
    self.flow = flow
    self.state = state
    self.slots = slots
  }
}

/// One input to the engine.
public struct Turn: Sendable {
  public enum Input: Sendable, Hashable {
    case text(String)
    /// Open the conversation (the greeting).
    case start
    /// Forget everything and start over.
    case reset
    /// The client is done with the session.
    case end
  }

  public var input: Input
  /// The date the turn happens on, for "10 days ago" (the engine never reads the clock).
  public var today: CivilDate

  public init(_ input: Input, today: CivilDate) {
    self.input = input
    self.today = today
  }

  public static func text(_ s: String, today: CivilDate) -> Turn { Turn(.text(s), today: today) }
}

/// Something the host program should do.
public struct Action: Sendable, Hashable, Codable {
  public enum Kind: String, Sendable, Hashable, Codable {
    /// Pass the conversation to a person, with `summary`.
    case handoff
  }

  public var type: Kind
  /// Why: `user_asked`, `escalation`, `flow`.
  public var reason: String
  /// The topic (flow title or intent) the user was on.
  public var topic: String?
  public var flow: String?
  public var state: String?
  /// What was collected; never secrets.
  public var slots: [String: String]

  public init(
    type: Kind, reason: String, topic: String?, flow: String?, state: String?,
    slots: [String: String]
  ) {
    self.type = type
    self.reason = reason
    self.topic = topic
    self.flow = flow
    self.state = state
    self.slots = slots
  }
}

/// A slot written during a turn, and where its value came from.
public struct SlotWrite: Sendable, Hashable, Codable {
  public var slot: String
  public var value: String
  public var source: String
}

/// Why a turn went the way it did: the data behind `/why`, `explain` and transcript asserts.
public struct Trace: Sendable {
  /// The user's text after redaction (never the secret).
  public var text: String?
  public var classification: Classification?
  /// Intents the state before the turn expected.
  public var expected: [String] = []
  public var flowBefore: String?
  public var stateBefore: String?
  public var flowAfter: String?
  public var stateAfter: String?
  public var slotWrites: [SlotWrite] = []
  public var redacted: [Redactor.Kind] = []
  /// States entered during the turn, as `flow.state`, in order.
  public var entered: [String] = []
  /// Transitions taken during the turn, in order (for coverage and assertions).
  public var transitions: [TakenTransition] = []
  /// Human-readable steps, in order.
  public var steps: [String] = []
}

/// The engine's answer to one turn.
public struct StepResult: Sendable {
  public var state: SessionState
  public var replies: [String]
  public var actions: [Action]
  public var trace: Trace
  /// The best-matching intent for the message (nil for fallback and events).
  public var intent: String? { trace.classification?.intent }
  public var entities: [String: String] { trace.classification?.entities ?? [:] }
}

/// A transition the engine took: which one (by its location in the flow file) and where to.
public struct TakenTransition: Sendable, Hashable, Codable {
  public enum Kind: String, Sendable, Hashable, Codable {
    /// From the state's `on:` list.
    case on
    /// From the state's `next:` list.
    case next
    /// The state's `default:`.
    case `default`
  }

  public var flow: String
  public var state: String
  public var kind: Kind
  public var location: SourceLocation
  public var target: String
}
