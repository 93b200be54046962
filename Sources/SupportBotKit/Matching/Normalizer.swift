/// Turns a raw message into the text patterns see.
///
/// In order: typographic quotes, apostrophes and dashes become ASCII; control and
/// zero-width characters go; runs of whitespace become one space; the ends are trimmed;
/// then author-defined substitutions (`pls` → `please`) replace whole words, case-insensitively,
/// longest phrase first. Spans reported by the matcher refer to this normalised text.
public struct Normalizer: Sendable {
  /// Lower-cased word or phrase → replacement.
  public let substitutions: [String: String]
  private let maxWords: Int

  public init(substitutions: [String: String] = [:]) {
    var map: [String: String] = [:]
    for (k, v) in substitutions {
      let key = k.lowercased().split(separator: " ").joined(separator: " ")
      if !key.isEmpty { map[key] = v }
    }
    self.substitutions = map
    self.maxWords = map.keys.map { $0.split(separator: " ").count }.max() ?? 0
  }

  public func normalize(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    var pendingSpace = false
    for scalar in text.unicodeScalars {
      let mapped = Self.map(scalar)
      switch mapped {
      case .drop:
        continue
      case .space:
        pendingSpace = !out.isEmpty
      case .scalar(let s):
        if pendingSpace {
          out.append(" ")
          pendingSpace = false
        }
        out.append(s)
      }
    }
    let cleaned = String(out)
    guard !substitutions.isEmpty else { return cleaned }
    return substitute(cleaned)
  }

  private enum Mapped {
    case drop
    case space
    case scalar(Unicode.Scalar)
  }

  private static func map(_ s: Unicode.Scalar) -> Mapped {
    switch s.value {
    case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029,
      0x202F, 0x205F, 0x3000:
      return .space
    case 0x00...0x1F, 0x7F...0x9F:
      return .space
    case 0x200B...0x200D, 0x2060, 0xFEFF, 0x00AD:
      return .drop
    case 0x2018, 0x2019, 0x201A, 0x201B, 0x2032, 0x02BC, 0x0060, 0x00B4:
      return .scalar("'")
    case 0x201C, 0x201D, 0x201E, 0x201F, 0x2033, 0x00AB, 0x00BB:
      return .scalar("\"")
    case 0x2010...0x2015, 0x2212:
      return .scalar("-")
    case 0x2026:
      return .scalar(".")
    default:
      return .scalar(s)
    }
  }

  /// Replaces whole words (ASCII letters, digits and apostrophes) found in `substitutions`.
  private func substitute(_ text: String) -> String {
    // Split into alternating word / separator pieces.
    var pieces: [(text: Substring, isWord: Bool)] = []
    var start = text.startIndex
    var inWord = false
    var i = text.startIndex
    while i < text.endIndex {
      let c = text[i]
      let w = Self.isWordCharacter(c)
      if i == text.startIndex {
        inWord = w
      } else if w != inWord {
        pieces.append((text[start..<i], inWord))
        start = i
        inWord = w
      }
      i = text.index(after: i)
    }
    if start < text.endIndex { pieces.append((text[start..<text.endIndex], inWord)) }

    var result = ""
    result.reserveCapacity(text.utf8.count)
    var p = 0
    outer: while p < pieces.count {
      if pieces[p].isWord {
        // Longest phrase first: words p, p+2, … separated by single spaces.
        var n = maxWords
        while n >= 1 {
          let lastPiece = p + 2 * (n - 1)
          if lastPiece < pieces.count {
            var ok = true
            var key = ""
            for k in 0..<n {
              let idx = p + 2 * k
              if !pieces[idx].isWord { ok = false; break }
              if k > 0 {
                if pieces[idx - 1].text != " " { ok = false; break }
                key += " "
              }
              key += pieces[idx].text.lowercased()
            }
            if ok, let replacement = substitutions[key] {
              result += replacement
              p = lastPiece + 1
              continue outer
            }
          }
          n -= 1
        }
      }
      result += pieces[p].text
      p += 1
    }
    return result
  }

  private static func isWordCharacter(_ c: Character) -> Bool {
    guard let a = c.asciiValue else { return false }
    return (a >= 0x30 && a <= 0x39) || (a >= 0x41 && a <= 0x5A) || (a >= 0x61 && a <= 0x7A)
      || a == 0x27
  }
}
