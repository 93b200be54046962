import PCRE2

/// A reply template: literal text with `{name}` placeholders for slots and settings.
public struct Template: Sendable, Hashable {
  public enum Part: Sendable, Hashable {
    case text(String)
    case placeholder(String)
  }

  public let raw: String
  public let parts: [Part]
  public let location: SourceLocation

  /// Placeholder names used in the template.
  public var placeholders: [String] {
    parts.compactMap { if case .placeholder(let n) = $0 { n } else { nil } }
  }
}

/// One reply line: a single template, or alternatives chosen deterministically per session.
public struct ReplyLine: Sendable, Hashable {
  public let alternatives: [Template]
}

/// A typed slot value.
public enum SlotValue: Sendable, Hashable, Codable, CustomStringConvertible {
  case string(String)
  case number(Int)

  public var description: String {
    switch self {
    case .string(let s): return s
    case .number(let n): return String(n)
    }
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let n = try? c.decode(Int.self) {
      self = .number(n)
    } else {
      self = .string(try c.decode(String.self))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .string(let s): try c.encode(s)
    case .number(let n): try c.encode(n)
    }
  }
}

/// A comparison over slots, such as `days_since_request > 30`; clauses are joined by `and`.
public struct Condition: Sendable, Hashable, CustomStringConvertible {
  public enum Operator: String, Sendable, Hashable, CaseIterable {
    case le = "<="
    case ge = ">="
    case ne = "!="
    case eq = "=="
    case lt = "<"
    case gt = ">"
  }

  public enum Clause: Sendable, Hashable {
    /// `slot OP value`
    case compare(slot: String, op: Operator, value: SlotValue)
    /// `slot is set` / `slot is not set`
    case isSet(slot: String, expected: Bool)
  }

  public let clauses: [Clause]
  public let source: String

  public var description: String { source }

  /// Slots the condition reads.
  public var slots: [String] {
    clauses.map {
      switch $0 {
      case .compare(let s, _, _): return s
      case .isSet(let s, _): return s
      }
    }
  }
}

/// Where a transition goes.
public enum Target: Sendable, Hashable, CustomStringConvertible {
  /// Another state of the same flow.
  case state(String)
  /// The start of another flow (`flow:ID`).
  case flow(String)
  /// Ends the flow (`end`).
  case end

  public var description: String {
    switch self {
    case .state(let s): return s
    case .flow(let f): return "flow:\(f)"
    case .end: return "end"
    }
  }
}

/// A way out of a state, on an intent, a slot condition, or both.
public struct Transition: Sendable, Hashable {
  /// Any of these intents (empty: no intent needed).
  public let intents: [String]
  public let condition: Condition?
  public let target: Target
  /// Slots to set when the transition is taken.
  public let set: [String: SlotValue]
  public let location: SourceLocation
}

/// How a state fills a slot from the user's words.
public struct SlotFill: Sendable {
  public enum Source: Sendable {
    /// A named capture of the matched intent's pattern (an entity).
    case entity(String)
    /// A built-in extractor such as `days_ago`.
    case extractor(String)
    /// The first capture group (or the named group `value`) of an author's pattern.
    case pattern(Pattern)
  }

  public let slot: String
  public let source: Source
  public let location: SourceLocation
}

/// What a state asks the host program to do.
public enum StateAction: String, Sendable, Hashable {
  case handoff
}

/// One state of a flow.
///
/// Immutable, and a class: the engine looks the current state up several times a turn, and a
/// reference is one word to copy where the struct was 200 bytes and a dozen reference counts.
public final class FlowState: Sendable {
  public let id: String
  public let say: [ReplyLine]
  /// The pending question, asked on entry and again after a digression or "repeat".
  public let ask: ReplyLine?
  /// Re-phrasings of `ask` for answers that don't fit, used in turn.
  public let reprompts: [ReplyLine]
  /// Failed tries before escalating to a person.
  public let maxTries: Int
  public let slots: [SlotFill]
  /// Evaluated when the user answers, in order; the first that applies is taken.
  public let transitions: [Transition]
  /// Evaluated right after entering (after `say`), without waiting for the user.
  public let next: [Transition]
  /// Taken when the answer fits no transition (instead of re-prompting).
  public let fallback: Transition?
  public let action: StateAction?
  public let location: SourceLocation

  public init(
    id: String, say: [ReplyLine], ask: ReplyLine?, reprompts: [ReplyLine], maxTries: Int,
    slots: [SlotFill], transitions: [Transition], next: [Transition], fallback: Transition?,
    action: StateAction?, location: SourceLocation
  ) {
    self.id = id
    self.say = say
    self.ask = ask
    self.reprompts = reprompts
    self.maxTries = maxTries
    self.slots = slots
    self.transitions = transitions
    self.next = next
    self.fallback = fallback
    self.action = action
    self.location = location
  }

  /// A state with nothing to wait for ends its flow after speaking.
  public var isTerminal: Bool {
    transitions.isEmpty && next.isEmpty && fallback == nil && slots.isEmpty && ask == nil
  }

  /// Intents this state's transitions name.
  public var expectedIntents: Set<String> {
    Set(transitions.flatMap(\.intents) + (fallback?.intents ?? []))
  }
}

/// A multi-turn conversation: states and the transitions between them.
///
/// Immutable, and a class for the same reason as ``FlowState``.
public final class Flow: Sendable {
  public let id: String
  /// How the flow is named to users: "Back to {title}: …".
  public let title: String
  public let description: String
  /// Intents that start this flow.
  public let triggers: [String]
  public let start: String
  public let states: [String: FlowState]
  /// State ids in file order.
  public let stateOrder: [String]
  /// Slots set when the flow starts, such as entities of the triggering message.
  public let location: SourceLocation

  public init(
    id: String, title: String, description: String, triggers: [String], start: String,
    states: [String: FlowState], stateOrder: [String], location: SourceLocation
  ) {
    self.id = id
    self.title = title
    self.description = description
    self.triggers = triggers
    self.start = start
    self.states = states
    self.stateOrder = stateOrder
    self.location = location
  }

  public func state(_ id: String) -> FlowState? { states[id] }
}

/// What the engine does with an intent that is not handled by the current state.
public enum ResponseBehavior: String, Sendable, Hashable, CaseIterable {
  /// Say the reply; inside a flow, then ask the pending question again (a digression).
  case answer
  /// Inside a flow, treated like an answer that does not fit (for `yes`, `no`).
  case reply
  /// Stop the current flow.
  case cancel
  /// Say the last replies again.
  case `repeat`
  /// Hand the conversation to a person.
  case handoff
  /// End the conversation.
  case end
}

/// The bot's reply to an intent that has no flow (answers and conversation intents).
public struct Response: Sendable {
  public let intent: String
  public let say: [ReplyLine]
  /// Said instead of `say` when no flow is active (for cancel and repeat), if given.
  public let sayIdle: [ReplyLine]
  public let behavior: ResponseBehavior
  public let location: SourceLocation
}
