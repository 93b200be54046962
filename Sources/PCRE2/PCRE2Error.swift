import CPCRE2

/// An error from libpcre2: a pattern that does not compile, or a match that hit a limit.
///
/// `code` is PCRE2's own error number; `offset` is the UTF-8 *byte* offset into the pattern
/// for compile errors (never a `Character` count).
public struct PCRE2Error: Error, Sendable, Equatable, CustomStringConvertible {
  /// What went wrong, coarse enough to branch on.
  public enum Kind: String, Sendable, Equatable {
    case compile
    case matchLimit = "match limit"
    case depthLimit = "depth limit"
    case heapLimit = "heap limit"
    case jitStackLimit = "JIT stack limit"
    case match
  }

  public var kind: Kind
  public var code: Int32
  public var message: String
  /// Byte offset into the pattern where compilation failed.
  public var offset: Int?

  public init(kind: Kind, code: Int32, message: String, offset: Int? = nil) {
    self.kind = kind
    self.code = code
    self.message = message
    self.offset = offset
  }

  public var description: String {
    if let offset {
      return "\(message) (PCRE2 error \(code) at byte \(offset))"
    }
    return "\(message) (PCRE2 error \(code))"
  }

  /// PCRE2's text for an error code.
  static func text(for code: Int32) -> String {
    var buffer = [UInt8](repeating: 0, count: 256)
    let written = buffer.withUnsafeMutableBufferPointer { buf in
      pcre2_get_error_message_8(code, buf.baseAddress, buf.count)
    }
    guard written > 0 else { return "unknown PCRE2 error" }
    return String(decoding: buffer[0..<Int(written)], as: UTF8.self)
  }

  static func fromMatch(code: Int32) -> PCRE2Error {
    let kind: Kind
    switch code {
    case PCRE2_ERROR_MATCHLIMIT: kind = .matchLimit
    case PCRE2_ERROR_DEPTHLIMIT: kind = .depthLimit
    case PCRE2_ERROR_HEAPLIMIT: kind = .heapLimit
    case PCRE2_ERROR_JIT_STACKLIMIT: kind = .jitStackLimit
    default: kind = .match
    }
    return PCRE2Error(kind: kind, code: code, message: text(for: code))
  }
}
