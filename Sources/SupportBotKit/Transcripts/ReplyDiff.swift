import PCRE2

/// Aligns a turn's reply expectations with the replies the bot gave, for checking and for a
/// readable diff.
///
/// The alignment minimises unmatched lines: `<*` absorbs any number of replies for free, a
/// matching pair costs nothing, and a mismatched pair, a missing line or an extra line cost one
/// each (so a changed reply shows as a `-`/`+` pair rather than as two unrelated lines).
public enum ReplyDiff {
  public enum Op: Sendable {
    /// Expectation `e` accepted reply `a`.
    case match(e: Int, a: Int)
    /// `<*` expectation `e` absorbed reply `a`.
    case absorbed(e: Int, a: Int)
    /// Expectation `e` is paired with reply `a` but does not accept it.
    case mismatch(e: Int, a: Int)
    /// Expectation `e` has no reply.
    case missing(e: Int)
    /// Reply `a` was not expected.
    case extra(a: Int)
  }

  /// Whether `expected` accepts `actual` as a whole.
  public static func matches(_ expected: [ReplyExpectation], _ actual: [String]) -> Bool {
    if expected.count == 1, case .nothing = expected[0].kind { return actual.isEmpty }
    return align(expected, actual).cost == 0
  }

  /// The cheapest alignment and its cost (0 when everything matches).
  public static func align(_ expected: [ReplyExpectation], _ actual: [String]) -> (
    cost: Int, ops: [Op]
  ) {
    let e = expected.filter { if case .nothing = $0.kind { false } else { true } }
    let n = e.count
    let m = actual.count
    var accepts = [[Bool]](repeating: [Bool](repeating: false, count: m), count: n)
    for i in 0..<n { for j in 0..<m { accepts[i][j] = e[i].accepts(actual[j]) } }
    let inf = Int.max / 4
    var cost = [[Int]](repeating: [Int](repeating: inf, count: m + 1), count: n + 1)
    for j in 0...m { cost[n][j] = m - j }
    if n > 0 {
      for i in stride(from: n - 1, through: 0, by: -1) {
        for j in stride(from: m, through: 0, by: -1) {
          if case .anything = e[i].kind {
            var c = cost[i + 1][j]
            if j < m { c = min(c, cost[i][j + 1]) }
            cost[i][j] = c
            continue
          }
          var c = 1 + cost[i + 1][j]
          if j < m {
            c = min(c, (accepts[i][j] ? 0 : 1) + cost[i + 1][j + 1])
            c = min(c, 1 + cost[i][j + 1])
          }
          cost[i][j] = c
        }
      }
    }
    // Walk the table, preferring matches, then pairs, then missing, then extra lines.
    var ops: [Op] = []
    var i = 0
    var j = 0
    let index = expected.indices.filter {
      if case .nothing = expected[$0].kind { false } else { true }
    }
    while i < n || j < m {
      if i == n {
        ops.append(.extra(a: j))
        j += 1
        continue
      }
      if case .anything = e[i].kind {
        // Lazy: end the glob as soon as that stays optimal.
        if cost[i][j] == cost[i + 1][j] {
          i += 1
        } else {
          ops.append(.absorbed(e: index[i], a: j))
          j += 1
        }
        continue
      }
      if j < m && accepts[i][j] && cost[i][j] == cost[i + 1][j + 1] {
        ops.append(.match(e: index[i], a: j))
        i += 1
        j += 1
      } else if j < m && cost[i][j] == 1 + cost[i + 1][j + 1] {
        ops.append(.mismatch(e: index[i], a: j))
        i += 1
        j += 1
      } else if cost[i][j] == 1 + cost[i + 1][j] {
        ops.append(.missing(e: index[i]))
        i += 1
      } else {
        ops.append(.extra(a: j))
        j += 1
      }
    }
    return (cost[0][0], ops)
  }

  /// A diff for people: `-` expected lines, `+` actual lines, unmarked lines that matched.
  public static func render(_ expected: [ReplyExpectation], _ actual: [String], indent: String)
    -> String
  {
    var lines: [String] = []
    if expected.count == 1, case .nothing = expected[0].kind {
      lines.append(indent + "- <-   (expected no reply)")
      for a in actual { lines.append(indent + "+ " + show(a)) }
      return lines.joined(separator: "\n")
    }
    if actual.isEmpty { lines.append(indent + "  (the bot said nothing)") }
    for op in align(expected, actual).ops {
      switch op {
      case .match(_, let a):
        lines.append(indent + "  " + show(actual[a]))
      case .absorbed(_, let a):
        lines.append(indent + "  " + show(actual[a]) + "   (<*)")
      case .mismatch(let e, let a):
        lines.append(indent + "- " + expected[e].written)
        lines.append(indent + "+ " + show(actual[a]))
        if case .exact(let s) = expected[e].kind, let hint = firstDifference(s, actual[a]) {
          lines.append(indent + "  " + hint)
        }
        if case .regex(_, let p) = expected[e].kind {
          let scratch = MatchScratch(groups: p.captureCount)
          do {
            _ = try p.firstMatch(in: actual[a], scratch: scratch)
          } catch {
            lines.append(indent + "  (the regex gave up: \(error.kind.rawValue) reached)")
          }
        }
      case .missing(let e):
        lines.append(indent + "- " + expected[e].written + "   (no such reply)")
      case .extra(let a):
        lines.append(indent + "+ " + show(actual[a]) + "   (not expected)")
      }
    }
    return lines.joined(separator: "\n")
  }

  /// An actual reply as shown in a diff (escaped so invisible differences show).
  static func show(_ s: String) -> String {
    var out = TranscriptSyntax.escape(s)
    if out.hasSuffix(" ") { out += "⏎" }
    return out.isEmpty ? "(empty line)" : out
  }

  /// Where two texts first differ: "first difference at column 13: expected "?", found " you"".
  public static func firstDifference(_ expected: String, _ actual: String) -> String? {
    let e = Array(expected)
    let a = Array(actual)
    var k = 0
    while k < e.count && k < a.count && e[k] == a[k] { k += 1 }
    if k == e.count && k == a.count { return nil }
    func excerpt(_ c: [Character]) -> String {
      guard k < c.count else { return "end of line" }
      let piece = String(c[k..<min(c.count, k + 24)])
      return "\"" + TranscriptSyntax.escape(piece) + (k + 24 < c.count ? "…" : "") + "\""
    }
    return "first difference at column \(k + 1): expected \(excerpt(e)), found \(excerpt(a))"
  }
}
