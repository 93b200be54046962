import Yams

/// Named pieces of pattern text that patterns reuse by writing `{{name}}`.
///
/// Expansion is textual: `{{name}}` becomes `(?:TEXT)`, so the compiled pattern (which the
/// prefilter, the checker and `patterns --json` see) is plain PCRE2. Fragments may use other
/// fragments; cycles are errors.
struct FragmentTable {
  struct Definition {
    let text: String
    let location: SourceLocation
    let valueNode: Node
    let path: String
  }

  struct Failure: Error {
    let message: String
    /// Byte offset in the text being expanded.
    let offset: Int
    /// The failure comes from a fragment whose own error is reported already.
    var brokenFragment = false
  }

  var definitions: [String: Definition] = [:]
  /// Fragments with errors of their own; patterns using them report nothing more.
  var broken: Set<String> = []

  /// Expands every `{{name}}` in `text`; `resolving` holds the fragments being expanded (cycles).
  func expand(_ text: String, resolving: [String] = []) -> Result<FragmentExpansion, Failure> {
    let bytes = Array(text.utf8)
    // A byte scan: Foundation's `contains` on String goes through CFStringFind, a measurable
    // part of start-up over every pattern and fragment.
    let brace = UInt8(ascii: "{")
    guard bytes.count >= 4,
      zip(bytes, bytes.dropFirst()).contains(where: { $0 == brace && $1 == brace })
    else {
      return .success(FragmentExpansion(text: text, segments: []))
    }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var segments: [FragmentExpansion.Segment] = []
    var i = 0
    while i < bytes.count {
      if bytes[i] == UInt8(ascii: "{"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{"),
        let close = Self.closing(bytes, from: i + 2)
      {
        let name = String(decoding: bytes[(i + 2)..<close], as: UTF8.self)
        if broken.contains(name) {
          return .failure(Failure(message: "", offset: i, brokenFragment: true))
        }
        guard let def = definitions[name] else {
          return .failure(Failure(message: "unknown fragment '\(name)'", offset: i))
        }
        if resolving.contains(name) {
          let cycle = (resolving + [name]).joined(separator: " -> ")
          return .failure(
            Failure(message: "fragments use each other in a cycle: \(cycle)", offset: i))
        }
        let inner: FragmentExpansion
        switch expand(def.text, resolving: resolving + [name]) {
        case .success(let e): inner = e
        case .failure(let f):
          return .failure(
            Failure(
              message: "in fragment '\(name)': \(f.message)", offset: i,
              brokenFragment: f.brokenFragment))
        }
        let start = out.count
        out += Array("(?:".utf8) + Array(inner.text.utf8) + Array(")".utf8)
        segments.append(
          FragmentExpansion.Segment(
            expanded: start..<out.count, original: i..<(close + 2), fragment: name))
        i = close + 2
      } else {
        out.append(bytes[i])
        i += 1
      }
    }
    return .success(
      FragmentExpansion(text: String(decoding: out, as: UTF8.self), segments: segments))
  }

  /// The index of the `}}` closing a `{{name` whose name starts at `from`, if the name is an
  /// identifier (so `a{{2}}` or `{{ x }}` stay literal text).
  private static func closing(_ bytes: [UInt8], from: Int) -> Int? {
    var j = from
    while j < bytes.count {
      let b = bytes[j]
      if b == UInt8(ascii: "}") {
        guard j > from, j + 1 < bytes.count, bytes[j + 1] == UInt8(ascii: "}") else { return nil }
        let first = bytes[from]
        guard
          (first >= UInt8(ascii: "a") && first <= UInt8(ascii: "z")) || first == UInt8(ascii: "_")
        else { return nil }
        return j
      }
      let ok =
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z"))
        || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
      if !ok { return nil }
      j += 1
    }
    return nil
  }
}

/// A pattern after fragment expansion, with a map back to the written text for errors.
struct FragmentExpansion: Sendable {
  struct Segment: Sendable {
    /// Bytes of the expansion in the expanded text.
    let expanded: Range<Int>
    /// Bytes of `{{name}}` in the written text.
    let original: Range<Int>
    let fragment: String
  }

  let text: String
  let segments: [Segment]

  /// Maps a byte offset in the expanded text back to the written text; inside an expansion,
  /// the offset of its `{{name}}` and the fragment's name.
  func originalOffset(of offset: Int) -> (offset: Int, fragment: String?) {
    var shift = 0
    for seg in segments {
      if offset < seg.expanded.lowerBound { break }
      if offset < seg.expanded.upperBound { return (seg.original.lowerBound, seg.fragment) }
      shift += seg.expanded.count - seg.original.count
    }
    return (offset - shift, nil)
  }
}
