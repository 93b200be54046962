/// One decoded protocol request.
public struct Request: Sendable, Equatable {
  /// The request's `id` as compact JSON text (whitespace outside strings removed), echoed
  /// verbatim, so any JSON value (big numbers, objects, escapes) comes back unchanged.
  public var id: [UInt8]?
  /// The conversation's key; nil means `"default"`.
  public var session: String?
  public var input: Turn.Input
  /// Whether the reply should carry the match trace.
  public var explain: Bool

  public init(id: [UInt8]? = nil, session: String? = nil, input: Turn.Input, explain: Bool = false)
  {
    self.id = id
    self.session = session
    self.input = input
    self.explain = explain
  }
}

/// A line that could not be served, with the `id` and `session` if they could be read.
public struct RequestFailure: Error, Sendable, Equatable {
  public var error: ProtocolError
  public var id: [UInt8]?
  public var session: String?

  public init(_ error: ProtocolError, id: [UInt8]? = nil, session: String? = nil) {
    self.error = error
    self.id = id
    self.session = session
  }
}

/// A strict, allocation-light decoder for the protocol's flat request object.
///
/// It parses RFC 8259 JSON itself (no Foundation): the top level must be an object; `id` may be
/// any JSON value; `session`, `text` and `event` are strings; `explain` is a boolean; unknown
/// fields are checked for syntax and ignored. After the first failure that leaves the syntax
/// intact (a wrong type, a duplicate) decoding goes on, so `id` and `session` can be echoed.
public struct RequestDecoder: Sendable {
  /// Arrays and objects may nest this deep; the request object itself is level 1.
  public var maxDepth: Int
  /// Longest accepted `session`, in UTF-8 bytes.
  public var maxSessionBytes: Int

  public init(maxDepth: Int = 32, maxSessionBytes: Int = 256) {
    self.maxDepth = maxDepth
    self.maxSessionBytes = maxSessionBytes
  }

  /// Decodes one line (without its newline; a trailing `\r` is whitespace).
  public func decode(_ line: UnsafeBufferPointer<UInt8>) -> Result<Request, RequestFailure> {
    var p = JSONScanner(line, maxDepth: maxDepth)
    p.skipWhitespace()
    if p.atEnd { return .failure(RequestFailure(ProtocolError(.emptyLine, "the line is empty"))) }
    let badUTF8 = UTF8Check.firstInvalidOffset(line)
    func utf8Failure(id: [UInt8]?, session: String?) -> Result<Request, RequestFailure> {
      let offset = badUTF8 ?? 0
      // An id holding the invalid bytes is not echoed: the reply must stay valid JSON.
      let echo = id.flatMap { id in
        id.withUnsafeBufferPointer { UTF8Check.firstInvalidOffset($0) } == nil ? id : nil
      }
      return .failure(
        RequestFailure(
          ProtocolError(.invalidUTF8, "the line is not valid UTF-8 (byte \(offset + 1))"),
          id: echo, session: session))
    }

    guard p.peek == UInt8(ascii: "{") else {
      // Tell "not an object" from "not JSON at all".
      do throws(ProtocolError) {
        var sink: [UInt8] = []
        try p.value(depth: 1, record: false, into: &sink)
        p.skipWhitespace()
        if !p.atEnd { throw p.syntax("unexpected data after the JSON value") }
      } catch {
        if badUTF8 != nil { return utf8Failure(id: nil, session: nil) }
        return .failure(RequestFailure(error))
      }
      if badUTF8 != nil { return utf8Failure(id: nil, session: nil) }
      return .failure(
        RequestFailure(ProtocolError(.notObject, "a request must be a JSON object")))
    }

    var id: [UInt8]?
    var session: String?
    var text: String?
    var event: String?
    var explain = false
    var seen: UInt8 = 0
    var firstError: ProtocolError?
    func note(_ e: ProtocolError) { if firstError == nil { firstError = e } }

    do throws(ProtocolError) {
      p.advance()  // {
      p.skipWhitespace()
      if p.peek == UInt8(ascii: "}") {
        p.advance()
      } else {
        while true {
          p.skipWhitespace()
          guard p.peek == UInt8(ascii: "\"") else { throw p.syntax("expected a field name") }
          let key = try p.keyName()
          p.skipWhitespace()
          guard p.peek == UInt8(ascii: ":") else { throw p.syntax("expected ':' after a name") }
          p.advance()
          p.skipWhitespace()
          let bit: UInt8
          switch key {
          case .id: bit = 1
          case .session: bit = 2
          case .text: bit = 4
          case .event: bit = 8
          case .explain: bit = 16
          case .other: bit = 0
          }
          if bit != 0 && seen & bit != 0 {
            note(ProtocolError(.duplicateField, "field \"\(key.name)\" appears more than once"))
            var sink: [UInt8] = []
            try p.value(depth: 2, record: false, into: &sink)
          } else {
            seen |= bit
            switch key {
            case .id:
              var raw: [UInt8] = []
              try p.value(depth: 2, record: true, into: &raw)
              id = raw
            case .session, .text, .event:
              if p.peek == UInt8(ascii: "\"") {
                let s = try p.string()
                switch key {
                case .session:
                  if s.utf8.isEmpty {
                    note(ProtocolError(.invalidSession, "\"session\" must not be empty"))
                  } else if s.utf8.count > maxSessionBytes {
                    note(
                      ProtocolError(
                        .invalidSession,
                        "\"session\" is longer than \(maxSessionBytes) bytes"))
                  } else {
                    session = s
                  }
                case .text: text = s
                default: event = s
                }
              } else {
                let kind = p.peekKind
                var sink: [UInt8] = []
                try p.value(depth: 2, record: false, into: &sink)
                note(
                  ProtocolError(.wrongType, "\"\(key.name)\" must be a string, not \(kind)"))
              }
            case .explain:
              let kind = p.peekKind
              if p.match("true") {
                explain = true
              } else if p.match("false") {
                explain = false
              } else {
                var sink: [UInt8] = []
                try p.value(depth: 2, record: false, into: &sink)
                note(ProtocolError(.wrongType, "\"explain\" must be a boolean, not \(kind)"))
              }
            case .other:
              var sink: [UInt8] = []
              try p.value(depth: 2, record: false, into: &sink)
            }
          }
          p.skipWhitespace()
          if p.peek == UInt8(ascii: ",") {
            p.advance()
            continue
          }
          if p.peek == UInt8(ascii: "}") {
            p.advance()
            break
          }
          throw p.syntax("expected ',' or '}'")
        }
      }
      p.skipWhitespace()
      if !p.atEnd { throw p.syntax("unexpected data after the object") }
    } catch {
      if badUTF8 != nil { return utf8Failure(id: id, session: session) }
      return .failure(RequestFailure(error, id: id, session: session))
    }
    if badUTF8 != nil { return utf8Failure(id: id, session: session) }
    let request = Request(id: id, session: session, input: .start, explain: explain)
    // A well-formed object without `session` speaks for the default session.
    if seen & 2 == 0 { session = ProtocolServer.defaultSession }
    if let firstError { return .failure(RequestFailure(firstError, id: id, session: session)) }

    let input: Turn.Input
    switch (text, event) {
    case (.some, .some):
      return .failure(
        RequestFailure(
          ProtocolError(.conflictingFields, "give either \"text\" or \"event\", not both"),
          id: id, session: session))
    case (nil, nil):
      return .failure(
        RequestFailure(
          ProtocolError(.missingField, "a request needs \"text\" or \"event\""),
          id: id, session: session))
    case (.some(let t), nil):
      input = .text(t)
    case (nil, .some(let e)):
      switch e {
      case "start": input = .start
      case "reset": input = .reset
      case "end": input = .end
      default:
        return .failure(
          RequestFailure(
            ProtocolError(
              .unknownEvent,
              "unknown event \"\(JSONWriter.preview(e))\" (expected start, reset or end)"),
            id: id, session: session))
      }
    }
    var result = request
    result.input = input
    return .success(result)
  }

  /// Decodes a line given as bytes (convenience for tests and small callers).
  public func decode(_ line: [UInt8]) -> Result<Request, RequestFailure> {
    line.withUnsafeBufferPointer { decode($0) }
  }

  /// Decodes a line given as a string.
  public func decode(_ line: String) -> Result<Request, RequestFailure> {
    decode(Array(line.utf8))
  }

  /// Reads what it can of `id` and `session` from the first bytes of an over-long line.
  public func salvage(_ prefix: UnsafeBufferPointer<UInt8>) -> (id: [UInt8]?, session: String?) {
    switch decode(prefix) {
    case .success(let r): return (r.id, r.session)
    case .failure(let f): return (f.id, f.session)
    }
  }
}

/// A field name the decoder knows.
private enum Key {
  case id, session, text, event, explain, other

  var name: String {
    switch self {
    case .id: "id"
    case .session: "session"
    case .text: "text"
    case .event: "event"
    case .explain: "explain"
    case .other: "?"
    }
  }
}

/// A cursor over one line of JSON that checks syntax as it goes.
private struct JSONScanner {
  let buf: UnsafeBufferPointer<UInt8>
  var i = 0
  let maxDepth: Int

  init(_ buf: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
    self.buf = buf
    self.maxDepth = maxDepth
  }

  var atEnd: Bool { i >= buf.count }
  /// The current byte, or 0 at the end (0 is never valid JSON outside strings).
  var peek: UInt8 { i < buf.count ? buf[i] : 0 }
  mutating func advance() { i += 1 }

  /// What the next value looks like, for messages.
  var peekKind: String {
    switch peek {
    case UInt8(ascii: "\""): "a string"
    case UInt8(ascii: "{"): "an object"
    case UInt8(ascii: "["): "an array"
    case UInt8(ascii: "t"), UInt8(ascii: "f"): "a boolean"
    case UInt8(ascii: "n"): "null"
    default: "a number"
    }
  }

  func syntax(_ what: String) -> ProtocolError {
    ProtocolError(.invalidJSON, "\(what) at byte \(i + 1)")
  }

  mutating func skipWhitespace() {
    while i < buf.count {
      switch buf[i] {
      case 0x20, 0x0A, 0x0D, 0x09: i += 1
      default: return
      }
    }
  }

  /// Consumes `word` if it comes next.
  mutating func match(_ word: StaticString) -> Bool {
    let n = word.utf8CodeUnitCount
    guard buf.count - i >= n else { return false }
    let w = word.utf8Start
    for k in 0..<n where buf[i + k] != w[k] { return false }
    // A literal must not run into more letters ("truex").
    if i + n < buf.count, Self.isLetter(buf[i + n]) { return false }
    i += n
    return true
  }

  static func isLetter(_ b: UInt8) -> Bool {
    (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
  }

  /// Reads a field name; known names are recognised without building a `String`.
  mutating func keyName() throws(ProtocolError) -> Key {
    let start = i + 1
    var j = start
    while j < buf.count {
      let b = buf[j]
      if b == UInt8(ascii: "\"") {
        let n = j - start
        let key: Key
        switch n {
        case 2 where buf[start] == 0x69 && buf[start + 1] == 0x64: key = .id
        case 4 where equals(start, "text"): key = .text
        case 5 where equals(start, "event"): key = .event
        case 7 where equals(start, "session"): key = .session
        case 7 where equals(start, "explain"): key = .explain
        default: key = .other
        }
        i = j + 1
        return key
      }
      if b == UInt8(ascii: "\\") || b < 0x20 { break }
      j += 1
    }
    // Escapes in a name: decode it properly, then compare.
    let s = try string()
    switch s {
    case "id": return .id
    case "text": return .text
    case "event": return .event
    case "session": return .session
    case "explain": return .explain
    default: return .other
    }
  }

  func equals(_ at: Int, _ word: StaticString) -> Bool {
    let w = word.utf8Start
    for k in 0..<word.utf8CodeUnitCount where buf[at + k] != w[k] { return false }
    return true
  }

  /// Reads a string value (cursor on its opening quote) and decodes its escapes.
  mutating func string() throws(ProtocolError) -> String {
    i += 1
    let start = i
    // Fast path: no escapes.
    while i < buf.count {
      let b = buf[i]
      if b == UInt8(ascii: "\"") {
        let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
        i += 1
        return s
      }
      if b == UInt8(ascii: "\\") { break }
      if b < 0x20 { throw syntax("control character in a string (use an escape)") }
      i += 1
    }
    var out: [UInt8] = []
    out.reserveCapacity(i - start + 16)
    out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<min(i, buf.count)]))
    while i < buf.count {
      let b = buf[i]
      if b == UInt8(ascii: "\"") {
        i += 1
        return String(decoding: out, as: UTF8.self)
      }
      if b < 0x20 { throw syntax("control character in a string (use an escape)") }
      if b != UInt8(ascii: "\\") {
        out.append(b)
        i += 1
        continue
      }
      i += 1
      guard i < buf.count else { break }
      let e = buf[i]
      i += 1
      switch e {
      case UInt8(ascii: "\""): out.append(0x22)
      case UInt8(ascii: "\\"): out.append(0x5C)
      case UInt8(ascii: "/"): out.append(0x2F)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = try hex4()
        if scalar >= 0xD800 && scalar <= 0xDBFF {
          guard i + 1 < buf.count, buf[i] == UInt8(ascii: "\\"), buf[i + 1] == UInt8(ascii: "u")
          else { throw syntax("unpaired surrogate \\u\(hexString(scalar))") }
          i += 2
          let low = try hex4()
          guard low >= 0xDC00 && low <= 0xDFFF else {
            throw syntax("unpaired surrogate \\u\(hexString(scalar))")
          }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
          throw syntax("unpaired surrogate \\u\(hexString(scalar))")
        }
        Self.appendUTF8(scalar, to: &out)
      default:
        i -= 1
        throw syntax("invalid escape")
      }
    }
    throw syntax("unterminated string")
  }

  func hexString(_ v: UInt32) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
  }

  mutating func hex4() throws(ProtocolError) -> UInt32 {
    guard buf.count - i >= 4 else { throw syntax("incomplete \\u escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let b = buf[i]
      let d: UInt32
      switch b {
      case 0x30...0x39: d = UInt32(b - 0x30)
      case 0x41...0x46: d = UInt32(b - 0x41 + 10)
      case 0x61...0x66: d = UInt32(b - 0x61 + 10)
      default: throw syntax("invalid \\u escape")
      }
      v = v << 4 | d
      i += 1
    }
    return v
  }

  static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
    switch v {
    case 0..<0x80:
      out.append(UInt8(v))
    case 0x80..<0x800:
      out.append(UInt8(0xC0 | (v >> 6)))
      out.append(UInt8(0x80 | (v & 0x3F)))
    case 0x800..<0x10000:
      out.append(UInt8(0xE0 | (v >> 12)))
      out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
      out.append(UInt8(0x80 | (v & 0x3F)))
    default:
      out.append(UInt8(0xF0 | (v >> 18)))
      out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
      out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
      out.append(UInt8(0x80 | (v & 0x3F)))
    }
  }

  /// Checks one JSON value at `depth` (1 = top level) and, if `record`, appends it to `out`
  /// without insignificant whitespace.
  mutating func value(depth: Int, record: Bool, into out: inout [UInt8]) throws(ProtocolError) {
    let b = peek
    switch b {
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      guard depth <= maxDepth else {
        throw ProtocolError(
          .nestingTooDeep, "arrays and objects nest deeper than \(maxDepth) levels at byte \(i + 1)"
        )
      }
      let isObject = b == UInt8(ascii: "{")
      let close: UInt8 = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
      if record { out.append(b) }
      i += 1
      skipWhitespace()
      if peek == close {
        if record { out.append(close) }
        i += 1
        return
      }
      while true {
        skipWhitespace()
        if isObject {
          guard peek == UInt8(ascii: "\"") else { throw syntax("expected a field name") }
          try stringValue(record: record, into: &out)
          skipWhitespace()
          guard peek == UInt8(ascii: ":") else { throw syntax("expected ':' after a name") }
          if record { out.append(UInt8(ascii: ":")) }
          i += 1
          skipWhitespace()
        }
        try value(depth: depth + 1, record: record, into: &out)
        skipWhitespace()
        if peek == UInt8(ascii: ",") {
          if record { out.append(UInt8(ascii: ",")) }
          i += 1
          continue
        }
        if peek == close {
          if record { out.append(close) }
          i += 1
          return
        }
        throw syntax(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
      }
    case UInt8(ascii: "\""):
      try stringValue(record: record, into: &out)
    case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
      let start = i
      guard match("true") || match("false") || match("null") else {
        throw syntax("unexpected literal")
      }
      if record { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<i])) }
    case UInt8(ascii: "-"), 0x30...0x39:
      let start = i
      try number()
      if record { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<i])) }
    default:
      throw syntax(atEnd ? "unexpected end of line" : "unexpected character")
    }
  }

  /// Checks a string's syntax (escapes, surrogate pairs) and copies it as written.
  mutating func stringValue(record: Bool, into out: inout [UInt8]) throws(ProtocolError) {
    let start = i
    _ = try string()
    if record { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<i])) }
  }

  /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
  mutating func number() throws(ProtocolError) {
    if peek == UInt8(ascii: "-") { i += 1 }
    if peek == UInt8(ascii: "0") {
      i += 1
    } else if peek >= 0x31 && peek <= 0x39 {
      while peek >= 0x30 && peek <= 0x39 { i += 1 }
    } else {
      throw syntax("invalid number")
    }
    if peek == UInt8(ascii: ".") {
      i += 1
      guard peek >= 0x30 && peek <= 0x39 else { throw syntax("invalid number") }
      while peek >= 0x30 && peek <= 0x39 { i += 1 }
    }
    if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
      i += 1
      if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
      guard peek >= 0x30 && peek <= 0x39 else { throw syntax("invalid number") }
      while peek >= 0x30 && peek <= 0x39 { i += 1 }
    }
    if Self.isLetter(peek) || peek == UInt8(ascii: ".") { throw syntax("invalid number") }
  }
}

/// UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
enum UTF8Check {
  /// The offset of the first byte of the first invalid sequence, or nil if all is valid.
  static func firstInvalidOffset(_ buf: UnsafeBufferPointer<UInt8>) -> Int? {
    let n = buf.count
    guard let base = buf.baseAddress else { return nil }
    var i = 0
    while i < n {
      // ASCII fast path, 8 bytes at a time.
      while i + 8 <= n {
        let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
        if word & 0x8080_8080_8080_8080 != 0 { break }
        i += 8
      }
      guard i < n else { return nil }
      let b0 = base[i]
      if b0 < 0x80 {
        i += 1
        continue
      }
      func cont(_ k: Int) -> UInt8? { i + k < n && base[i + k] & 0xC0 == 0x80 ? base[i + k] : nil }
      switch b0 {
      case 0xC2...0xDF:
        guard cont(1) != nil else { return i }
        i += 2
      case 0xE0...0xEF:
        guard let b1 = cont(1), cont(2) != nil else { return i }
        if b0 == 0xE0 && b1 < 0xA0 { return i }  // overlong
        if b0 == 0xED && b1 > 0x9F { return i }  // surrogate
        i += 3
      case 0xF0...0xF4:
        guard let b1 = cont(1), cont(2) != nil, cont(3) != nil else { return i }
        if b0 == 0xF0 && b1 < 0x90 { return i }  // overlong
        if b0 == 0xF4 && b1 > 0x8F { return i }  // above U+10FFFF
        i += 4
      default:
        return i
      }
    }
    return nil
  }
}
