import Testing

@testable import SupportBotKit

/// Shapes found in a pattern written with markers (`1️⃣`, `2️⃣`, …) where findings must start.
private func shapes(_ marked: String) -> (
  found: [String], expected: [String]
) {
  let markers = ["1️⃣", "2️⃣", "3️⃣", "4️⃣"]
  var pattern = ""
  var expected: [String] = []
  var rest = Substring(marked)
  while !rest.isEmpty {
    if let m = markers.first(where: { rest.hasPrefix($0) }) {
      expected.append("\(pattern.utf8.count)")
      rest = rest.dropFirst(m.count)
    } else {
      pattern.append(rest.removeFirst())
    }
  }
  let found = BacktrackingAnalyzer.analyze(pattern).map { "\($0.offset)" }
  return (found, expected)
}

private func kinds(_ pattern: String) -> [BacktrackingAnalyzer.Finding.Shape] {
  BacktrackingAnalyzer.analyze(pattern).map(\.shape)
}

@Suite("backtracking shapes")
struct AuthoringBacktrackingTests {
  @Test(arguments: [
    // Nested unbounded quantifiers.
    "^1️⃣(a+)+$", "^1️⃣(a*)*b", "x1️⃣(?:\\w+\\s?)*y", "1️⃣(?<w>[a-z]+)+!", "1️⃣(\\d+|x)+z",
    // Overlapping alternatives under an unbounded quantifier.
    "^1️⃣(a|a)*$", "1️⃣(?:\\w|\\d)+!", "^1️⃣(?:ab|a.)+c", "^1️⃣(a|aa)+$", "x1️⃣(?:ab|a|b)*y",
    // Adjacent unbounded quantifiers over the same characters.
    "1️⃣.*.*x", "1️⃣\\w+\\w*!", "a1️⃣\\s*\\b\\s+b", "1️⃣.*\\s*=",
    // Two findings in one pattern.
    "1️⃣(a+)+b2️⃣.*.*c",
  ])
  func flagsRiskyShapesWhereTheyStart(_ marked: String) {
    let r = shapes(marked)
    #expect(r.found == r.expected, "\(marked)")
  }

  @Test(arguments: [
    // A separator the inner repeat cannot match keeps iterations apart.
    "^(?:\\w+\\s)+$", "(?:\\w+,)*x", "^\\W*(?:(?:oh|well)\\W+)*hi", "(?:\\W+(?:now|then))*\\W*$",
    // Possessive and atomic parts do not backtrack.
    "^(?:a++)+!", "^(?>a+)+!", "(?:\\w|\\d)++!", ".*+.*x",
    // Bounded repeats, exclusive alternatives.
    "(?:\\w+\\s){0,3}x", "(?:yes|no)+!", "(?:a|b)*c", "(?:cat|category)+!",
    // Ambiguity at the very end is never explored: the first try succeeds.
    "well\\W+.*", "bye.*.*", "(?:\\W+.*)?$", "a.*\\s*",
    // Not regex syntax the analyzer knows: no findings rather than a crash.
    "(", "[a-", "\\", "(?(1)a|b)+", "a{2,}b{,3}", "\\Qa+\\E+", "(?i)x*", "(?#c)+",
    "\\p{L}+\\P{L}+", "[[:alpha:]]+[^]]*", "(*UTF)ab", "\\x{41}+\\x41*", "(?|a|b)+",
  ])
  func leavesSafeShapesAlone(_ pattern: String) {
    #expect(kinds(pattern) == [], "\(pattern)")
  }

  @Test func namesTheShapeAndTheParts() {
    let f = BacktrackingAnalyzer.analyze("^(a+)+$")
    #expect(f.count == 1)
    #expect(f.first?.shape == .nested)
    #expect(f.first?.message.contains("`(a+)+` repeats `a+`") == true)
    let o = BacktrackingAnalyzer.analyze("(?:yes|ye.)*!")
    #expect(o.first?.message.contains("`yes` and `ye.` overlap") == true)
    let r = BacktrackingAnalyzer.analyze("^(a|aa)+$")
    #expect(r.first?.message.contains("`aa` is also `a` repeated") == true)
  }

  /// Random pattern text (a fixed seed) never crashes the analyzer, and findings point inside.
  @Test func randomPatternsAreHandled() {
    let pieces = [
      "(", ")", "(?:", "(?>", "(?=", "(?<n>", "[", "]", "[^", "\\", "\\w", "\\d", "\\x{", "}",
      "{", "{2,}", "{,3}", "*", "+", "?", "|", ".", "a", "b", "é", "^", "$", "\\Q", "\\E", "\\1",
      "(?(", "(*", "[:alpha:]", "\\p{L}", "#", " ", "-",
    ]
    var seed: UInt64 = 0x5eed
    func next() -> Int {
      seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int(truncatingIfNeeded: seed >> 33)
    }
    for _ in 0..<3000 {
      var p = ""
      for _ in 0..<(next() % 16) { p += pieces[next() % pieces.count] }
      for f in BacktrackingAnalyzer.analyze(p) {
        #expect(f.offset >= 0 && f.offset <= p.utf8.count, "\(p)")
      }
    }
  }

  @Test func deepNestingIsRefusedNotFollowed() {
    let deep = String(repeating: "(", count: 5000) + String(repeating: ")", count: 5000)
    #expect(BacktrackingAnalyzer.analyze(deep) == [])
  }
}
