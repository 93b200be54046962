import PCRE2

/// One compiled regular expression of an intent, with where it was written.
public struct IntentPattern: Sendable {
  /// The pattern PCRE2 compiled: `written` with every `{{fragment}}` expanded.
  public let source: String
  /// The pattern as the author wrote it.
  public let written: String
  public let compiled: Pattern
  public let location: SourceLocation
}

/// A text an author expects an intent to match, or not to.
public struct Example: Sendable, Hashable {
  public let text: String
  public let location: SourceLocation
}

/// Something a user can mean, recognised by regular expressions.
public struct Intent: Sendable {
  public let id: String
  public let description: String
  /// Higher wins; see the README's ranking rules.
  public let priority: Int
  public let patterns: [IntentPattern]
  /// The intent does not match when any of these matches the message.
  public let exclusions: [IntentPattern]
  public let examples: [Example]
  public let counterExamples: [Example]
  /// Counts only when the current state expects it (answers such as "by SMS").
  public let contextual: Bool
  public let location: SourceLocation
  /// Position among all intents, the last tie-break.
  public let order: Int
}
