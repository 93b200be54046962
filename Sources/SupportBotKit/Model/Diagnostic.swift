/// A place in a source file: `file:line:column`, 1-based, columns in Unicode scalars.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
  public var file: String
  public var line: Int
  public var column: Int

  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }

  public var description: String { "\(file):\(line):\(column)" }

  public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
    (a.file, a.line, a.column) < (b.file, b.line, b.column)
  }
}

/// One finding about a bot's files, reported the way compilers do.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
  public enum Severity: String, Sendable, Hashable, Comparable {
    case error, warning, note
    public static func < (a: Severity, b: Severity) -> Bool {
      let order: [Severity] = [.error, .warning, .note]
      return order.firstIndex(of: a) ?? 0 < order.firstIndex(of: b) ?? 0
    }
  }

  public var location: SourceLocation
  public var severity: Severity
  public var message: String

  public init(_ severity: Severity, _ message: String, at location: SourceLocation) {
    self.severity = severity
    self.message = message
    self.location = location
  }

  /// `FILE:LINE:COL: error: message`
  public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

/// A bot that could not be loaded, with every problem found (not only the first).
public struct BotLoadError: Error, Sendable, CustomStringConvertible {
  public var diagnostics: [Diagnostic]

  public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

  public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
