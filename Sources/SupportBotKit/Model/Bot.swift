/// Engine knobs a bot sets in its `dialogue:` section.
public struct DialogueSettings: Sendable, Hashable {
  /// Misunderstood messages in a row (outside a flow) before offering a person.
  public var maxFallbacks: Int = 2
  /// Failed answers to one question before escalating, unless the state says otherwise.
  public var maxTries: Int = 2
  /// A flow to start (instead of the `fallback_handoff` message) after too many fallbacks.
  public var handoffOfferFlow: String?

  public init() {}
}

/// A loaded bot: intents, flows, responses and settings, all validated and compiled.
public struct Bot: Sendable {
  /// The directory the bot was loaded from.
  public var directory: String
  /// Files read, in load order.
  public var files: [String]
  /// Template variables such as `platform`.
  public var settings: [String: String]
  public var dialogue: DialogueSettings
  /// System replies the engine needs (`welcome`, `fallback`, …).
  public var messages: [String: [ReplyLine]]
  public var messageLocations: [String: SourceLocation]
  /// Intents in declaration order, which is the last tie-break.
  public var intents: [Intent]
  public var flows: [Flow]
  public var responses: [String: Response]
  public var normalizer: Normalizer
  /// How patterns that use `{{fragments}}` were expanded, by pattern location: maps offsets in
  /// the compiled text back to the written text (for diagnostics).
  var fragmentExpansions: [SourceLocation: FragmentExpansion] = [:]

  /// The system messages every bot must define.
  public static let requiredMessages = [
    "welcome", "fallback", "escalate", "sensitive_data", "resume",
  ]

  public func intent(_ id: String) -> Intent? { intents.first { $0.id == id } }
  public func flow(_ id: String) -> Flow? { flows.first { $0.id == id } }

  /// The flow an intent starts, if any.
  public func flow(triggeredBy intent: String) -> Flow? {
    flows.first { $0.triggers.contains(intent) }
  }
}
