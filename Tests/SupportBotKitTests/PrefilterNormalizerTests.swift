import Testing

@testable import SupportBotKit

/// The byte-level normaliser against a copy of the original String-based one: the outputs
/// must be identical on every input, including Unicode edge cases around word boundaries.
@Suite struct PrefilterNormalizerTests {
  static let substitutions: [String: String] = [
    "pls": "please", "plz": "please", "acct": "account", "can't": "cannot", "cant": "cannot",
    "sign in": "login", "log in": "login", "sign": "SIGN", "2fa": "two-factor authentication",
    "u": "you", "r": "are", "i'm": "I am", "dont": "do not", "a b c": "ABC", "a b": "AB",
    "thx": "thanks", "ok": "okay", "e mail": "email", "k": "okay", "s": "\u{00E9}s",
  ]

  /// Pieces random messages are built from: words, keys in all cases, every kind of space,
  /// control, quote and dash the normaliser maps, combining marks, prepended marks, emoji.
  static let pieces: [String] = [
    "pls", "PLS", "Pls", "acct", "ACCT", "can't", "can\u{2019}t", "cant", "sign", "in", "log",
    "2fa", "2FA", "u", "r", "i'm", "I\u{2019}M", "dont", "a", "b", "c", "thx", "ok", "e", "mail",
    "k", "s", "\u{212A}", "\u{017F}", "delete", "my", "account", "please", "x", "42", "'",
    " ", " ", " ", "  ", "\t", "\n", "\r\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}",
    "\u{1680}", "\u{2003}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}",
    "\u{0}", "\u{7}", "\u{1B}", "\u{7F}", "\u{90}", "\u{200B}", "\u{200C}", "\u{200D}",
    "\u{2060}", "\u{FEFF}", "\u{AD}", "\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}",
    "\u{2032}", "\u{2BC}", "`", "\u{B4}", "\u{201C}", "\u{201D}", "\u{201E}", "\u{201F}",
    "\u{2033}", "\u{AB}", "\u{BB}", "\u{2010}", "\u{2013}", "\u{2014}", "\u{2015}",
    "\u{2212}", "\u{2026}", "\u{301}", "\u{308}", "\u{20DD}", "\u{FE0F}", "\u{1F3FD}",
    "\u{903}", "\u{600}", "\u{605}", "\u{6DD}", "\u{70F}", "\u{110BD}", "\u{D4E}", "e\u{301}",
    "\u{E9}", "\u{1F600}", "\u{1F469}\u{200D}\u{1F4BB}", "\u{1F1FA}\u{1F1F8}", "\u{5220}\u{9664}",
    "\u{E01}\u{E33}", "\u{1100}\u{1161}", "!", ".", ",", "?", "-", "\"", "\u{2318}", "\u{FFFD}",
  ]

  static func randomMessage<G: RandomNumberGenerator>(_ g: inout G) -> String {
    var s = ""
    for _ in 0..<Int.random(in: 0...14, using: &g) {
      s += pieces[Int.random(in: 0..<pieces.count, using: &g)]
    }
    return s
  }

  @Test func matchesTheOriginalOnRandomInput() {
    var g = SplitMix64(seed: 8)
    let subs = [Self.substitutions, [:], ["pls": "please"]]
    for table in subs {
      let new = Normalizer(substitutions: table)
      let old = LegacyNormalizer(substitutions: table)
      let scratch = NormalizerScratch()
      var failures = 0
      for _ in 0..<40_000 {
        let m = Self.randomMessage(&g)
        let want = old.normalize(m)
        let got = new.normalize(m)
        let viaScratch = String(decoding: new.normalize(m, scratch: scratch), as: UTF8.self)
        if (got != want || viaScratch != want || Array(got.utf8) != Array(want.utf8)),
          failures < 10
        {
          failures += 1
          Issue.record(
            "\(m.unicodeScalars.map { String($0.value, radix: 16) }): want \(want.debugDescription) got \(got.debugDescription) / \(viaScratch.debugDescription)"
          )
        }
      }
    }
  }

  @Test func matchesTheOriginalOnEveryScalarAfterAWord() {
    let table = Self.substitutions
    let new = Normalizer(substitutions: table)
    let old = LegacyNormalizer(substitutions: table)
    var failures = 0
    for v in stride(from: 0x80, through: 0x10FFFF, by: 1) {
      guard let s = Unicode.Scalar(v) else { continue }
      // Only scalars with interesting properties, plus a sample of the rest.
      let p = s.properties
      let interesting =
        p.isGraphemeExtend || p.generalCategory == .spacingMark || p.generalCategory == .format
        || p.generalCategory == .control || v % 97 == 0
      guard interesting else { continue }
      for m in ["pls\(s) acct", "\(s)pls acct", "sign\(s)in", "sign \(s)in", "pls \(s)"] {
        let want = old.normalize(m)
        let got = new.normalize(m)
        if got != want || Array(got.utf8) != Array(want.utf8), failures < 10 {
          failures += 1
          Issue.record(
            "U+\(String(v, radix: 16)) in \(m.debugDescription): want \(want.debugDescription) got \(got.debugDescription)"
          )
        }
      }
    }
  }

  @Test func keysOnlyMatchWholeWordsAndPlainSpaces() {
    let n = Normalizer(substitutions: Self.substitutions)
    #expect(n.normalize("sign\u{A0}in") == "login")
    #expect(n.normalize("sign\u{301} in") == "sign\u{301} in")
    #expect(n.normalize("a b c d") == "ABC d")
    #expect(n.normalize("a b") == "AB")
    #expect(n.normalize("a  b c") == "ABC")
    #expect(n.normalize("\u{600}pls") == "\u{600}pls")
  }
}

/// The word-at-a-time test for text that cleaning leaves alone, against its definition, on
/// texts long and short enough to put each kind of byte at every position of a word and
/// across words.
@Suite struct CleanASCIITests {
  static func isCleanByDefinition(_ b: [UInt8]) -> Bool {
    guard let first = b.first, let last = b.last, first != 0x20, last != 0x20 else { return false }
    for (i, c) in b.enumerated() {
      if c >= 0x7F || c < 0x20 || c == 0x60 { return false }
      if c == 0x20 && i > 0 && b[i - 1] == 0x20 { return false }
    }
    return true
  }

  @Test func agreesWithItsDefinition() {
    var g = SplitMix64(seed: 11)
    let common = Array("ab c'Z09.".utf8)
    let rare: [UInt8] = [0x20, 0x60, 0x7F, 0x09, 0x00, 0x1F, 0x80, 0xC3, 0xFF, 0x21, 0x7E]
    var clean = 0
    for _ in 0..<20_000 {
      let n = Int.random(in: 1...40, using: &g)
      var b = (0..<n).map { _ in common[Int.random(in: 0..<common.count, using: &g)] }
      // Usually one byte at most that makes the text unclean, at any position.
      if Bool.random(using: &g) {
        b[Int.random(in: 0..<n, using: &g)] = rare[Int.random(in: 0..<rare.count, using: &g)]
      }
      let expected = Self.isCleanByDefinition(b)
      if expected { clean += 1 }
      b.withUnsafeBufferPointer { buf in
        #expect(Normalizer.isCleanASCII(buf.baseAddress!, n) == expected, "\(b)")
        // And cleaning leaves a clean text as it is. (Only then: `clean` takes valid UTF-8,
        // which these bytes need not be.)
        if expected {
          let out = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
          defer { out.deallocate() }
          let r = Normalizer.clean(buf, into: out)
          #expect(
            !r.changed && r.ascii && Array(UnsafeBufferPointer(start: out, count: r.count)) == b)
        }
      }
    }
    #expect(clean > 2_000 && clean < 18_000)
  }
}

/// A small deterministic generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

// MARK: - The original implementation, kept verbatim as the reference.

struct LegacyNormalizer: Sendable {
  /// Lower-cased word or phrase → replacement.
  let substitutions: [String: String]
  private let maxWords: Int

  init(substitutions: [String: String] = [:]) {
    var map: [String: String] = [:]
    for (k, v) in substitutions {
      let key = k.lowercased().split(separator: " ").joined(separator: " ")
      if !key.isEmpty { map[key] = v }
    }
    self.substitutions = map
    self.maxWords = map.keys.map { $0.split(separator: " ").count }.max() ?? 0
  }

  func normalize(_ text: String) -> String {
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
              if !pieces[idx].isWord {
                ok = false
                break
              }
              if k > 0 {
                if pieces[idx - 1].text != " " {
                  ok = false
                  break
                }
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
