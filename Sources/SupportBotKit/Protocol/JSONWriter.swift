import Foundation

/// Appends compact JSON to a byte buffer directly (no Foundation on the hot path).
///
/// Strings are escaped per RFC 8259: `"` and `\`, and control characters as `\n`, `\t`, …
/// or `\u00XX`; everything else, non-ASCII included, is written as UTF-8.
public struct JSONWriter {
  public var bytes: [UInt8]

  public init(capacity: Int = 512) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  public mutating func raw(_ s: StaticString) {
    bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
  }

  public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

  public mutating func null() { raw("null") }
  public mutating func bool(_ v: Bool) { v ? raw("true") : raw("false") }

  public mutating func int(_ v: Int) {
    if v >= 0 && v < 10 {
      bytes.append(0x30 + UInt8(v))
    } else {
      bytes.append(contentsOf: String(v).utf8)
    }
  }

  public mutating func string(_ s: String) {
    var s = s
    s.withUTF8 { escape($0) }
  }

  public mutating func optionalString(_ s: String?) {
    if let s { string(s) } else { null() }
  }

  private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

  /// Writes a quoted, escaped string from UTF-8 bytes.
  public mutating func escape(_ u: UnsafeBufferPointer<UInt8>) {
    bytes.append(0x22)
    var runStart = 0
    var i = 0
    let n = u.count
    guard let base = u.baseAddress else {
      bytes.append(0x22)
      return
    }
    while i < n {
      // Skip 8 bytes at a time while none needs escaping (SWAR: no byte < 0x20, '"' or '\\').
      while i + 8 <= n {
        let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22)
        let slash = w ^ (ones &* 0x5C)
        let special =
          ((w &- ones &* 0x20) & ~w) | ((quote &- ones) & ~quote) | ((slash &- ones) & ~slash)
        if special & high != 0 { break }
        i += 8
      }
      guard i < n else { break }
      let b = u[i]
      if b >= 0x20 && b != 0x22 && b != 0x5C {
        i += 1
        continue
      }
      if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<i])) }
      bytes.append(0x5C)
      switch b {
      case 0x22: bytes.append(0x22)
      case 0x5C: bytes.append(0x5C)
      case 0x0A: bytes.append(UInt8(ascii: "n"))
      case 0x0D: bytes.append(UInt8(ascii: "r"))
      case 0x09: bytes.append(UInt8(ascii: "t"))
      case 0x08: bytes.append(UInt8(ascii: "b"))
      case 0x0C: bytes.append(UInt8(ascii: "f"))
      default:
        bytes.append(UInt8(ascii: "u"))
        bytes.append(0x30)
        bytes.append(0x30)
        bytes.append(Self.hexDigits[Int(b >> 4)])
        bytes.append(Self.hexDigits[Int(b & 0xF)])
      }
      i += 1
      runStart = i
    }
    if runStart < n { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<n])) }
    bytes.append(0x22)
  }

  /// `"key":`
  public mutating func key(_ k: StaticString) {
    bytes.append(0x22)
    raw(k)
    bytes.append(0x22)
    bytes.append(0x3A)
  }

  /// An object of strings with sorted keys.
  public mutating func stringMap(_ m: [String: String]) {
    if m.isEmpty {
      raw("{}")
      return
    }
    bytes.append(UInt8(ascii: "{"))
    var first = true
    for k in m.keys.sorted() {
      if !first { bytes.append(0x2C) }
      first = false
      string(k)
      bytes.append(0x3A)
      string(m[k] ?? "")
    }
    bytes.append(UInt8(ascii: "}"))
  }

  public mutating func stringArray(_ a: [String]) {
    bytes.append(UInt8(ascii: "["))
    for (n, s) in a.enumerated() {
      if n > 0 { bytes.append(0x2C) }
      string(s)
    }
    bytes.append(UInt8(ascii: "]"))
  }

  /// Writes a JSON-compatible value built of dictionaries, arrays, strings, numbers, booleans
  /// and `NSNull` (what ``ExplainFormatter`` produces); dictionary keys are sorted.
  public mutating func any(_ v: Any) {
    switch v {
    case let s as String: string(s)
    case let b as Bool: bool(b)
    case let n as Int: int(n)
    case let d as Double:
      if d.isFinite { bytes.append(contentsOf: "\(d)".utf8) } else { null() }
    case let a as [Any]:
      bytes.append(UInt8(ascii: "["))
      for (n, e) in a.enumerated() {
        if n > 0 { bytes.append(0x2C) }
        any(e)
      }
      bytes.append(UInt8(ascii: "]"))
    case let m as [String: Any]:
      bytes.append(UInt8(ascii: "{"))
      for (n, k) in m.keys.sorted().enumerated() {
        if n > 0 { bytes.append(0x2C) }
        string(k)
        bytes.append(0x3A)
        any(m[k] ?? NSNull())
      }
      bytes.append(UInt8(ascii: "}"))
    default:
      null()
    }
  }

  /// A short, single-line version of untrusted text for error messages.
  public static func preview(_ s: String, limit: Int = 40) -> String {
    var out = ""
    for (n, ch) in s.unicodeScalars.enumerated() {
      if n == limit {
        out += "…"
        break
      }
      out.unicodeScalars.append(ch.value < 0x20 || ch.value == 0x7F ? "?" : ch)
    }
    return out
  }
}
