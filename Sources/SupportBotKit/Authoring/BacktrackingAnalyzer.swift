import PCRE2

/// Finds pattern shapes that can make a backtracking matcher take exponential (or steep
/// polynomial) time: a static look at the pattern text, not a proof.
///
/// Three shapes are reported, each at the byte where it starts:
/// - **nested**: an unbounded quantifier over something that itself contains an unbounded
///   quantifier, with nothing in between that the inner part cannot match (`(a+)+`, `(\w+\s?)*`);
/// - **overlap**: an unbounded quantifier over alternatives that can match the same text
///   (`(a|a)*`, `(\w|\d)+`, `(ab|a.)*`);
/// - **adjacent**: two unbounded quantifiers in a row, over overlapping characters, with only
///   optional parts between them (`.*.*`, `\w+\w*`, `.*\s*.*`).
///
/// Possessive quantifiers (`a++`) and atomic groups (`(?>…)`) do not backtrack and are not
/// reported. Character sets are compared on a sample alphabet (printable ASCII and a few
/// non-ASCII letters, digits and spaces), by running each atom through PCRE2 itself.
public enum BacktrackingAnalyzer {
  public struct Finding: Sendable, Hashable {
    public enum Shape: String, Sendable, Hashable {
      case nested, overlap, adjacent
    }

    public let shape: Shape
    /// UTF-8 byte offset in the pattern where the shape starts.
    public let offset: Int
    public let message: String
  }

  /// Every risky shape in `pattern`, in pattern order. A pattern the analyzer cannot parse
  /// gives no findings (PCRE2 has the last word on syntax).
  public static func analyze(_ pattern: String) -> [Finding] {
    var parser = Parser(pattern)
    guard let root = try? parser.parseAll() else { return [] }
    var a = Analysis(source: parser.bytes)
    a.visit(root)
    var seen = Set<Finding>()
    return a.findings.filter { seen.insert($0).inserted }.sorted { $0.offset < $1.offset }
  }
}

// MARK: - Syntax tree

/// The parts of a pattern that matter for backtracking.
indirect enum RegexNode {
  /// Matches exactly one character from a set; `text` is PCRE2 source for that set.
  case atom(text: String, range: Range<Int>)
  /// Matches nothing (comments, option settings).
  case empty
  /// Matches nothing but can fail (`^`, `\b`, lookarounds).
  case assertion
  /// `$`, `\z`, `\Z`: hold after any run that reaches the end (messages have no newlines).
  case endAnchor
  /// Backreferences, recursion, conditionals: unknown width and characters.
  case opaque(range: Range<Int>)
  case group(RegexNode, atomic: Bool, range: Range<Int>)
  case sequence([RegexNode])
  case alternation([RegexNode], range: Range<Int>)
  case quantified(RegexNode, min: Int, max: Int?, possessive: Bool, range: Range<Int>)
}

private struct ParseFailure: Error {}

/// A recursive-descent reader of PCRE2 syntax, lenient about what it does not need.
private struct Parser {
  let bytes: [UInt8]
  var i = 0
  /// Group nesting, to keep hostile input from exhausting the stack.
  var depth = 0

  init(_ pattern: String) { self.bytes = Array(pattern.utf8) }

  var atEnd: Bool { i >= bytes.count }
  func peek(_ k: Int = 0) -> UInt8? { i + k < bytes.count ? bytes[i + k] : nil }

  mutating func parseAll() throws(ParseFailure) -> RegexNode {
    let node = try parseAlternation()
    if !atEnd { throw ParseFailure() }
    return node
  }

  mutating func parseAlternation() throws(ParseFailure) -> RegexNode {
    let start = i
    var branches = [try parseSequence()]
    while peek() == UInt8(ascii: "|") {
      i += 1
      branches.append(try parseSequence())
    }
    return branches.count == 1 ? branches[0] : .alternation(branches, range: start..<i)
  }

  mutating func parseSequence() throws(ParseFailure) -> RegexNode {
    var items: [RegexNode] = []
    while let c = peek(), c != UInt8(ascii: "|"), c != UInt8(ascii: ")") {
      let start = i
      var item = try parseItem()
      item = try parseQuantifiers(item, start: start)
      items.append(item)
    }
    return items.count == 1 ? items[0] : .sequence(items)
  }

  mutating func parseQuantifiers(_ node: RegexNode, start: Int) throws(ParseFailure) -> RegexNode {
    var node = node
    while let c = peek() {
      var minimum = 0
      var maximum: Int? = nil
      switch c {
      case UInt8(ascii: "*"): i += 1
      case UInt8(ascii: "+"):
        i += 1
        minimum = 1
      case UInt8(ascii: "?"):
        i += 1
        maximum = 1
      case UInt8(ascii: "{"):
        guard let (lo, hi, end) = braces(at: i) else { return node }
        i = end
        minimum = lo
        maximum = hi
      default:
        return node
      }
      var possessive = false
      if peek() == UInt8(ascii: "+") {
        possessive = true
        i += 1
      } else if peek() == UInt8(ascii: "?") {
        i += 1
      }
      if case .empty = node { continue }
      if case .assertion = node { continue }
      if case .endAnchor = node { continue }
      node = .quantified(
        node, min: minimum, max: maximum, possessive: possessive, range: start..<i)
    }
    return node
  }

  /// `{n}`, `{n,}`, `{n,m}`, `{,m}` at `at`: (min, max, index after `}`); nil if literal.
  func braces(at: Int) -> (Int, Int?, Int)? {
    var j = at + 1
    func number(_ j: inout Int) -> Int? {
      var n: Int? = nil
      while j < bytes.count, bytes[j] >= 48, bytes[j] <= 57 {
        n = min((n ?? 0) * 10 + Int(bytes[j] - 48), 1_000_000)
        j += 1
      }
      return n
    }
    let lo = number(&j)
    guard j < bytes.count else { return nil }
    if bytes[j] == UInt8(ascii: "}") {
      guard let lo else { return nil }
      return (lo, lo, j + 1)
    }
    guard bytes[j] == UInt8(ascii: ",") else { return nil }
    j += 1
    let hi = number(&j)
    guard j < bytes.count, bytes[j] == UInt8(ascii: "}"), lo != nil || hi != nil else { return nil }
    return (lo ?? 0, hi, j + 1)
  }

  mutating func parseItem() throws(ParseFailure) -> RegexNode {
    let start = i
    let c = bytes[i]
    switch c {
    case UInt8(ascii: "("): return try parseGroup()
    case UInt8(ascii: "["):
      try skipClass()
      return .atom(text: text(start..<i), range: start..<i)
    case UInt8(ascii: "\\"): return try parseEscape()
    case UInt8(ascii: "^"):
      i += 1
      return .assertion
    case UInt8(ascii: "$"):
      i += 1
      return .endAnchor
    case UInt8(ascii: "."):
      i += 1
      return .atom(text: ".", range: start..<i)
    case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
      throw ParseFailure()  // a quantifier with nothing to repeat; PCRE2 rejects it
    default:
      i += utf8Length(c)
      return .atom(text: literal(start..<min(i, bytes.count)), range: start..<i)
    }
  }

  func utf8Length(_ lead: UInt8) -> Int {
    switch lead {
    case 0xF0...: return 4
    case 0xE0...: return 3
    case 0xC0...: return 2
    default: return 1
    }
  }

  func text(_ r: Range<Int>) -> String {
    String(decoding: bytes[max(0, r.lowerBound)..<min(r.upperBound, bytes.count)], as: UTF8.self)
  }

  /// PCRE2 source matching exactly the literal character(s) at `r`.
  func literal(_ r: Range<Int>) -> String {
    text(r).unicodeScalars.map { "\\x{" + String($0.value, radix: 16) + "}" }.joined()
  }

  mutating func skipClass() throws(ParseFailure) {
    i += 1
    if peek() == UInt8(ascii: "^") { i += 1 }
    if peek() == UInt8(ascii: "]") { i += 1 }
    while let c = peek() {
      if c == UInt8(ascii: "\\") {
        i += 2
      } else if c == UInt8(ascii: "["), peek(1) == UInt8(ascii: ":") {
        // POSIX class [:alpha:]
        var j = i + 2
        while j + 1 < bytes.count,
          !(bytes[j] == UInt8(ascii: ":") && bytes[j + 1] == UInt8(ascii: "]"))
        {
          j += 1
        }
        i = j + 2
      } else if c == UInt8(ascii: "]") {
        i += 1
        return
      } else {
        i += 1
      }
    }
    throw ParseFailure()
  }

  mutating func parseEscape() throws(ParseFailure) -> RegexNode {
    let start = i
    i += 1
    guard let c = peek() else { throw ParseFailure() }
    i += 1
    switch c {
    case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "A"), UInt8(ascii: "G"):
      return .assertion
    case UInt8(ascii: "z"), UInt8(ascii: "Z"):
      return .endAnchor
    case UInt8(ascii: "K"):
      return .empty
    case UInt8(ascii: "Q"):
      // \Q…\E: literal characters.
      var items: [RegexNode] = []
      while !atEnd {
        if peek() == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "E") {
          i += 2
          break
        }
        let s = i
        i += utf8Length(bytes[i])
        items.append(.atom(text: literal(s..<min(i, bytes.count)), range: s..<i))
      }
      return items.count == 1 ? items[0] : .sequence(items)
    case UInt8(ascii: "E"):
      return .empty
    case UInt8(ascii: "p"), UInt8(ascii: "P"), UInt8(ascii: "x"), UInt8(ascii: "o"):
      if peek() == UInt8(ascii: "{") {
        while let d = peek(), d != UInt8(ascii: "}") { i += 1 }
        i += 1
      } else if c == UInt8(ascii: "x") {
        var n = 0
        while n < 2, let d = peek(), isHex(d) {
          i += 1
          n += 1
        }
      } else {
        i += 1  // \pL
      }
      return .atom(text: text(start..<i), range: start..<i)
    case UInt8(ascii: "c"):
      i += 1
      return .atom(text: text(start..<i), range: start..<i)
    case UInt8(ascii: "g"), UInt8(ascii: "k"):
      // Backreference or subroutine call: \g1, \g{-1}, \g<name>, \k<name>, \k{name}, \k'name'.
      if let open = peek(),
        [UInt8(ascii: "{"), UInt8(ascii: "<"), UInt8(ascii: "'")].contains(open)
      {
        let close: UInt8 =
          open == UInt8(ascii: "{")
          ? UInt8(ascii: "}") : open == UInt8(ascii: "<") ? UInt8(ascii: ">") : open
        i += 1
        while let d = peek(), d != close { i += 1 }
        i += 1
      } else {
        if peek() == UInt8(ascii: "-") || peek() == UInt8(ascii: "+") { i += 1 }
        while let d = peek(), d >= 48, d <= 57 { i += 1 }
      }
      return .opaque(range: start..<i)
    case UInt8(ascii: "1")...UInt8(ascii: "9"):
      while let d = peek(), d >= 48, d <= 57 { i += 1 }
      return .opaque(range: start..<i)
    case UInt8(ascii: "0"):
      while let d = peek(), d >= 48, d <= 55, i - start < 4 { i += 1 }
      return .atom(text: text(start..<i), range: start..<i)
    default:
      if c >= 0x80 {
        i = start + 1 + utf8Length(c)
        return .atom(text: literal(start + 1..<i), range: start..<i)
      }
      // \d \w \s \h \v \R \N \X and escaped punctuation or letters: one character.
      return .atom(text: text(start..<i), range: start..<i)
    }
  }

  func isHex(_ d: UInt8) -> Bool {
    (48...57).contains(d) || (65...70).contains(d) || (97...102).contains(d)
  }

  mutating func parseGroup() throws(ParseFailure) -> RegexNode {
    let start = i
    depth += 1
    defer { depth -= 1 }
    if depth > 200 { throw ParseFailure() }
    i += 1
    var atomic = false
    var zeroWidth = false
    if peek() == UInt8(ascii: "*") {
      // (*VERB) or (*VERB:NAME)
      while let d = peek(), d != UInt8(ascii: ")") { i += 1 }
      i += 1
      return .empty
    }
    if peek() == UInt8(ascii: "?") {
      i += 1
      guard let d = peek() else { throw ParseFailure() }
      switch d {
      case UInt8(ascii: ":"), UInt8(ascii: "|"): i += 1
      case UInt8(ascii: ">"):
        i += 1
        atomic = true
      case UInt8(ascii: "="), UInt8(ascii: "!"):
        i += 1
        zeroWidth = true
      case UInt8(ascii: "#"):
        while let e = peek(), e != UInt8(ascii: ")") { i += 1 }
        i += 1
        return .empty
      case UInt8(ascii: "<"):
        i += 1
        if peek() == UInt8(ascii: "=") || peek() == UInt8(ascii: "!") {
          i += 1
          zeroWidth = true
        } else {
          try skipName(until: UInt8(ascii: ">"))
        }
      case UInt8(ascii: "P"):
        i += 1
        if peek() == UInt8(ascii: "<") {
          i += 1
          try skipName(until: UInt8(ascii: ">"))
        } else {
          return try skipOpaqueGroup(from: start)  // (?P=name) and (?P>name)
        }
      case UInt8(ascii: "'"):
        i += 1
        try skipName(until: UInt8(ascii: "'"))
      case UInt8(ascii: "("), UInt8(ascii: "R"), UInt8(ascii: "&"), UInt8(ascii: "+"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        return try skipOpaqueGroup(from: start)  // conditionals, recursion, subroutine calls
      default:
        // Option settings: (?i) alone, or (?i:…) as a group.
        while let e = peek(), e != UInt8(ascii: ")"), e != UInt8(ascii: ":") { i += 1 }
        guard let e = peek() else { throw ParseFailure() }
        i += 1
        if e == UInt8(ascii: ")") { return .empty }
      }
    }
    let body = try parseAlternation()
    guard peek() == UInt8(ascii: ")") else { throw ParseFailure() }
    i += 1
    if zeroWidth {
      // Lookarounds are atomic in PCRE2: analyse inside, but they match no characters.
      return .sequence([.group(body, atomic: true, range: start..<i).zeroWidthWrapper, .assertion])
    }
    return .group(body, atomic: atomic, range: start..<i)
  }

  mutating func skipName(until close: UInt8) throws(ParseFailure) {
    while let d = peek(), d != close { i += 1 }
    guard !atEnd else { throw ParseFailure() }
    i += 1
  }

  /// Skips a group the analysis treats as a black box, balancing parentheses.
  mutating func skipOpaqueGroup(from start: Int) throws(ParseFailure) -> RegexNode {
    var level = 1
    while let d = peek(), level > 0 {
      if d == UInt8(ascii: "\\") {
        i += 2
        continue
      }
      if d == UInt8(ascii: "(") { level += 1 }
      if d == UInt8(ascii: ")") { level -= 1 }
      i += 1
    }
    if level > 0 { throw ParseFailure() }
    return .opaque(range: start..<i)
  }
}

extension RegexNode {
  /// A lookaround: its inside is still checked, but it consumes nothing.
  fileprivate var zeroWidthWrapper: RegexNode {
    .sequence([.quantified(self, min: 0, max: 0, possessive: true, range: 0..<0)])
  }
}

// MARK: - Character sets on a sample alphabet

/// A set of characters, as membership over ``CharSample/alphabet``.
struct CharSet: Hashable {
  var bits: [Bool]

  static let none = CharSet(bits: Array(repeating: false, count: CharSample.alphabet.count))
  static let all = CharSet(bits: Array(repeating: true, count: CharSample.alphabet.count))

  var isEmpty: Bool { !bits.contains(true) }
  func union(_ o: CharSet) -> CharSet { CharSet(bits: zip(bits, o.bits).map { $0 || $1 }) }
  func overlaps(_ o: CharSet) -> Bool { zip(bits, o.bits).contains { $0 && $1 } }
}

enum CharSample {
  /// Printable ASCII plus a few letters, digits and spaces from elsewhere in Unicode.
  static let alphabet: [String] =
    (0x20...0x7E).map { String(UnicodeScalar(UInt8($0))) } + ["é", "ß", "ж", "中", "٣", "\u{A0}"]

  /// The characters an atom's PCRE2 source matches; everything if it does not compile.
  static func set(of atom: String) -> CharSet {
    guard let p = try? Pattern("\\A(?:" + atom + ")\\z") else { return .all }
    let scratch = MatchScratch(groups: p.captureCount)
    return CharSet(
      bits: alphabet.map { c in ((try? p.firstMatch(in: c, scratch: scratch)) ?? nil) != nil })
  }
}

// MARK: - Analysis

private struct Analysis {
  let source: [UInt8]
  var findings: [BacktrackingAnalyzer.Finding] = []
  var atomSets: [String: CharSet] = [:]
  /// Alternatives compiled to match whole texts, by start offset (for one alternation).
  var wholeBranch: [Int: Pattern?] = [:]

  init(source: [UInt8]) { self.source = source }

  func snippet(_ r: Range<Int>) -> String {
    let s = snippetFull(r)
    return s.count > 40 ? String(s.prefix(37)) + "…" : s
  }

  func snippetFull(_ r: Range<Int>) -> String {
    String(decoding: source[max(0, r.lowerBound)..<min(r.upperBound, source.count)], as: UTF8.self)
  }

  mutating func atomSet(_ text: String) -> CharSet {
    if let s = atomSets[text] { return s }
    let s = CharSample.set(of: text)
    atomSets[text] = s
    return s
  }

  /// Every character the node can consume.
  mutating func chars(_ n: RegexNode) -> CharSet {
    switch n {
    case .atom(let text, _): return atomSet(text)
    case .empty, .assertion, .endAnchor: return .none
    case .opaque: return .all
    case .group(let b, _, _): return chars(b)
    case .sequence(let items), .alternation(let items, _):
      return items.reduce(CharSet.none) { $0.union(chars($1)) }
    case .quantified(let b, _, let max, _, _): return max == 0 ? .none : chars(b)
    }
  }

  /// The characters a match of the node can start with (`fromEnd`: end with).
  mutating func edge(_ n: RegexNode, fromEnd: Bool) -> CharSet {
    switch n {
    case .atom(let text, _): return atomSet(text)
    case .empty, .assertion, .endAnchor: return .none
    case .opaque: return .all
    case .group(let b, _, _): return edge(b, fromEnd: fromEnd)
    case .alternation(let items, _):
      return items.reduce(CharSet.none) { $0.union(edge($1, fromEnd: fromEnd)) }
    case .sequence(let items):
      var out = CharSet.none
      for item in fromEnd ? items.reversed() : items {
        out = out.union(edge(item, fromEnd: fromEnd))
        if !nullable(item) { break }
      }
      return out
    case .quantified(let b, _, let max, _, _): return max == 0 ? .none : edge(b, fromEnd: fromEnd)
    }
  }

  func nullable(_ n: RegexNode) -> Bool {
    switch n {
    case .atom: return false
    case .empty, .assertion, .endAnchor, .opaque: return true
    case .group(let b, _, _): return nullable(b)
    case .sequence(let items): return items.allSatisfy(nullable)
    case .alternation(let items, _): return items.contains(where: nullable)
    case .quantified(let b, let min, _, _, _): return min == 0 || nullable(b)
    }
  }

  /// Whether the node always matches empty text and can never fail.
  func cannotFail(_ n: RegexNode) -> Bool {
    switch n {
    case .empty: return true
    case .atom, .assertion, .endAnchor, .opaque: return false
    case .group(let b, _, _): return cannotFail(b)
    case .sequence(let items): return items.allSatisfy(cannotFail)
    case .alternation(let items, _): return items.contains(where: cannotFail)
    case .quantified(let b, let min, _, _, _): return min == 0 || cannotFail(b)
    }
  }

  func isEndAnchor(_ n: RegexNode) -> Bool {
    if case .endAnchor = n { return true }
    return false
  }

  /// Whether every text the node matches has a character outside `set`, so it cannot match
  /// inside a run of `set` characters.
  mutating func delimits(_ n: RegexNode, outside set: CharSet) -> Bool {
    switch n {
    case .atom: return !chars(n).overlaps(set)
    case .empty, .assertion, .endAnchor, .opaque: return false
    case .group(let b, _, _): return delimits(b, outside: set)
    case .sequence(let items):
      for item in items where delimits(item, outside: set) { return true }
      return false
    case .alternation(let items, _):
      for item in items where !delimits(item, outside: set) { return false }
      return true
    case .quantified(let b, let min, _, _, _): return min > 0 && delimits(b, outside: set)
    }
  }

  /// The node without redundant group wrappers (non-atomic groups).
  func unwrap(_ n: RegexNode) -> RegexNode {
    if case .group(let b, false, _) = n { return unwrap(b) }
    if case .sequence(let items) = n, items.count == 1 { return unwrap(items[0]) }
    return n
  }

  /// What follows a node up to the end of the pattern: whether the match can still fail there
  /// (and ambiguity before it gets explored).
  enum Tail {
    /// Nothing after can fail: once the node matches, the whole match succeeds.
    case free
    /// Only end anchors, which a run over every character always satisfies.
    case endAnchors
    case constrained
  }

  func tail(after rest: ArraySlice<RegexNode>, _ outer: Tail) -> Tail {
    if rest.allSatisfy(cannotFail) { return outer }
    if outer != .constrained, rest.allSatisfy({ cannotFail($0) || isEndAnchor($0) }) {
      return .endAnchors
    }
    return .constrained
  }

  mutating func visit(_ n: RegexNode, tail: Tail = .free) {
    switch n {
    case .atom, .empty, .assertion, .endAnchor, .opaque: return
    case .group(let b, let atomic, _): visit(b, tail: atomic ? .constrained : tail)
    case .alternation(let items, _): items.forEach { visit($0, tail: tail) }
    case .sequence(let items):
      checkAdjacent(items, tail: tail)
      for (k, item) in items.enumerated() {
        visit(item, tail: self.tail(after: items[(k + 1)...], tail))
      }
    case .quantified(let b, let min, let max, let possessive, let range):
      if max == nil && !possessive {
        checkNested(body: b, outer: range)
        checkOverlap(body: b, outer: range)
      }
      // Later iterations are optional once `min` is met, so they cannot make the match fail.
      visit(b, tail: min <= 1 && !possessive ? tail : .constrained)
    }
  }

  /// `(a+)+`: an unbounded repeat inside an unbounded repeat, not delimited.
  mutating func checkNested(body: RegexNode, outer: Range<Int>) {
    for (inner, path) in unboundedRepeats(in: body, path: []) {
      guard case .quantified(let ib, _, _, _, let innerRange) = inner else { continue }
      let innerChars = chars(ib)
      if innerChars.isEmpty { continue }
      // A mandatory sibling that cannot match inside a run of the inner part's characters
      // keeps the iterations apart.
      var delimited = false
      for (items, index) in path {
        for (k, sib) in items.enumerated() where k != index {
          if delimits(sib, outside: innerChars) { delimited = true }
        }
      }
      if delimited { continue }
      findings.append(
        .init(
          shape: .nested, offset: outer.lowerBound,
          message:
            "nested unbounded quantifiers: `\(snippet(outer))` repeats `\(snippet(innerRange))`, "
            + "which can itself match any length, so a near-miss is tried in exponentially "
            + "many ways; make the inner part possessive (`++`, `*+`) or atomic (`(?>…)`), "
            + "or require a separator it cannot match"))
      return
    }
  }

  /// Unbounded, backtracking repeats reachable in `n` without crossing an atomic group,
  /// with the sequences passed through (items and the index taken) on the way.
  func unboundedRepeats(in n: RegexNode, path: [([RegexNode], Int)]) -> [(
    RegexNode, [([RegexNode], Int)]
  )] {
    switch n {
    case .atom, .empty, .assertion, .endAnchor, .opaque: return []
    case .group(let b, let atomic, _): return atomic ? [] : unboundedRepeats(in: b, path: path)
    case .alternation(let items, _):
      return items.flatMap { unboundedRepeats(in: $0, path: path) }
    case .sequence(let items):
      return items.enumerated().flatMap { (k, item) in
        unboundedRepeats(in: item, path: path + [(items, k)])
      }
    case .quantified(let b, _, let max, let possessive, _):
      if possessive { return [] }
      if max == nil { return [(n, path)] }
      return unboundedRepeats(in: b, path: path)
    }
  }

  /// `(a|ab)*`, `(\w|\d)+`: alternatives under an unbounded repeat that match the same text.
  mutating func checkOverlap(body: RegexNode, outer: Range<Int>) {
    guard case .alternation(let branches, _) = unwrap(body), branches.count <= 200 else { return }
    wholeBranch = [:]
    func report(_ what: String) {
      findings.append(
        .init(
          shape: .overlap, offset: outer.lowerBound,
          message:
            "alternatives that match the same text under an unbounded quantifier: in "
            + "`\(snippet(outer))`, \(what), so a near-miss is tried in exponentially many "
            + "ways; make the alternatives exclusive or the group atomic (`(?>…)`)"))
    }
    func quoted(_ i: Int) -> String { "`\(snippet(range(branches[i])))`" }
    for x in branches.indices {
      for y in branches.indices where y > x {
        if ambiguous(branches[x], branches[y]) {
          report("\(quoted(x)) and \(quoted(y)) overlap")
          return
        }
      }
    }
    // A literal alternative that repeats of the others spell out: `(a|aa)+`, `(ab|a|b)*`.
    for (y, branch) in branches.enumerated() {
      guard let text = literalText(unwrap(branch)), !text.isEmpty else { continue }
      let others = branches.indices.filter { $0 != y }
      let sources = others.map { snippetFull(range(branches[$0])) }
      guard !sources.contains(where: \.isEmpty),
        let p = try? Pattern("\\A(?:" + sources.joined(separator: "|") + ")+\\z"),
        ((try? p.firstMatch(in: text, scratch: MatchScratch(groups: p.captureCount))) ?? nil)
          != nil
      else { continue }
      let x =
        others.first { o in
          let single = try? Pattern("\\A(?:" + snippetFull(range(branches[o])) + ")")
          return single.map {
            ((try? $0.firstMatch(in: text, scratch: MatchScratch(groups: $0.captureCount))) ?? nil)
              != nil
          } ?? false
        } ?? others[0]
      report("\(quoted(y)) is also \(quoted(x)) repeated (or mixed with the others)")
      return
    }
  }

  func range(_ n: RegexNode) -> Range<Int> {
    switch n {
    case .atom(_, let r), .opaque(let r), .group(_, _, let r), .alternation(_, let r),
      .quantified(_, _, _, _, let r):
      return r
    case .sequence(let items):
      let rs = items.map(range).filter { !$0.isEmpty }
      guard let lo = rs.map(\.lowerBound).min(), let hi = rs.map(\.upperBound).max() else {
        return 0..<0
      }
      return lo..<hi
    case .empty, .assertion, .endAnchor: return 0..<0
    }
  }

  /// Whether two alternatives can match the same non-empty text.
  mutating func ambiguous(_ a: RegexNode, _ b: RegexNode) -> Bool {
    let ua = unwrap(a)
    let ub = unwrap(b)
    if case .atom = ua, case .atom = ub { return chars(ua).overlaps(chars(ub)) }
    // A literal alternative that the other one matches as a whole.
    for (lit, other) in [(ua, ub), (ub, ua)] {
      guard let text = literalText(lit), !text.isEmpty else { continue }
      let r = range(other)
      guard !r.isEmpty else { continue }
      if wholeBranch[r.lowerBound] == nil {
        wholeBranch[r.lowerBound] = .some(try? Pattern("\\A(?:" + snippetFull(r) + ")\\z"))
      }
      guard let compiled = wholeBranch[r.lowerBound], let p = compiled,
        ((try? p.firstMatch(in: text, scratch: MatchScratch(groups: p.captureCount))) ?? nil) != nil
      else { continue }
      return true
    }
    return false
  }

  /// The text a branch of plain literal characters matches, if it is one.
  func literalText(_ n: RegexNode) -> String? {
    func one(_ n: RegexNode) -> String? {
      guard case .atom(let text, _) = n, text.hasPrefix("\\x{"), text.hasSuffix("}") else {
        return nil
      }
      var out = ""
      for p in text.split(separator: "}") {
        guard let v = UInt32(p.dropFirst(3), radix: 16), let s = Unicode.Scalar(v) else {
          return nil
        }
        out.unicodeScalars.append(s)
      }
      return out
    }
    switch n {
    case .atom: return one(n)
    case .sequence(let items):
      var out = ""
      for item in items {
        guard let s = one(item) else { return nil }
        out += s
      }
      return out
    default: return nil
    }
  }

  /// `.*.*`: unbounded repeats in a row where the second can start with what the first ends
  /// with, and something after them can fail.
  mutating func checkAdjacent(_ items: [RegexNode], tail outer: Tail) {
    var last: (Range<Int>, CharSet)? = nil
    for (k, item) in items.enumerated() {
      if case .quantified(let b, _, nil, false, let r) = item {
        let after = tail(after: items[(k + 1)...], outer)
        let tailIsSafe = after == .free || (after == .endAnchors && chars(b) == .all)
        if let (lr, ends) = last, ends.overlaps(edge(b, fromEnd: false)), !tailIsSafe {
          findings.append(
            .init(
              shape: .adjacent, offset: lr.lowerBound,
              message:
                "adjacent unbounded quantifiers: `\(snippet(lr))` and `\(snippet(r))` can "
                + "both match the same characters, so every split between them is tried "
                + "(polynomial backtracking); merge them into one or make the first "
                + "possessive"))
        }
        last = (r, edge(b, fromEnd: true))
      } else if !nullable(item) {
        last = nil
      }
    }
  }
}
