/// Why one protocol line got an error reply instead of an answer. The stream always goes on.
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
  /// A stable, machine-readable failure code (the README lists every one).
  public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The line was empty or only whitespace.
    public static let emptyLine = Code(rawValue: "empty_line")
    /// The line is not valid UTF-8.
    public static let invalidUTF8 = Code(rawValue: "invalid_utf8")
    /// The line is not JSON (syntax error, bad escape, unpaired surrogate, trailing data).
    public static let invalidJSON = Code(rawValue: "invalid_json")
    /// The line is JSON, but not an object.
    public static let notObject = Code(rawValue: "not_object")
    /// Arrays and objects nest deeper than the limit.
    public static let nestingTooDeep = Code(rawValue: "nesting_too_deep")
    /// The line is longer than the limit; it was skipped.
    public static let lineTooLong = Code(rawValue: "line_too_long")
    /// A field appears twice in one object.
    public static let duplicateField = Code(rawValue: "duplicate_field")
    /// Neither `text` nor `event` was given.
    public static let missingField = Code(rawValue: "missing_field")
    /// A known field has the wrong JSON type.
    public static let wrongType = Code(rawValue: "wrong_type")
    /// Both `text` and `event` were given.
    public static let conflictingFields = Code(rawValue: "conflicting_fields")
    /// `session` is empty or longer than the limit.
    public static let invalidSession = Code(rawValue: "invalid_session")
    /// `event` is not `start`, `reset` or `end`.
    public static let unknownEvent = Code(rawValue: "unknown_event")

    /// Every code, in the order the README documents them.
    public static let all: [Code] = [
      .emptyLine, .invalidUTF8, .invalidJSON, .notObject, .nestingTooDeep, .lineTooLong,
      .duplicateField, .missingField, .wrongType, .conflictingFields, .invalidSession,
      .unknownEvent,
    ]
  }

  public var code: Code
  public var message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { "\(code): \(message)" }
}
