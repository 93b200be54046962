/// A condition on a message's text that every match of a pattern satisfies: which literals
/// (ASCII, lower-cased) the message must contain.
///
/// `.any` means nothing is known, so the pattern must always run. The other cases are
/// necessary conditions only: a message that satisfies them may still not match.
public indirect enum LiteralRequirement: Sendable, Hashable, CustomStringConvertible {
  case any
  /// The message contains these bytes, ignoring ASCII case.
  case literal([UInt8])
  case all([LiteralRequirement])
  case oneOf([LiteralRequirement])

  public var description: String {
    switch self {
    case .any: return "any"
    case .literal(let b): return "\"" + String(decoding: b, as: UTF8.self) + "\""
    case .all(let xs): return "(" + xs.map(\.description).joined(separator: " AND ") + ")"
    case .oneOf(let xs): return "(" + xs.map(\.description).joined(separator: " OR ") + ")"
    }
  }

  /// Every literal the requirement mentions.
  public var literals: [[UInt8]] {
    switch self {
    case .any: return []
    case .literal(let b): return [b]
    case .all(let xs), .oneOf(let xs): return xs.flatMap(\.literals)
    }
  }

  static func and(_ parts: [LiteralRequirement]) -> LiteralRequirement {
    var out: [LiteralRequirement] = []
    for p in parts {
      switch p {
      case .any: continue
      case .all(let xs): out.append(contentsOf: xs)
      default: out.append(p)
      }
    }
    var unique: [LiteralRequirement] = []
    for p in out where !unique.contains(p) { unique.append(p) }
    if unique.isEmpty { return .any }
    return unique.count == 1 ? unique[0] : .all(unique)
  }

  static func or(_ parts: [LiteralRequirement]) -> LiteralRequirement {
    var out: [LiteralRequirement] = []
    for p in parts {
      switch p {
      case .any: return .any
      case .oneOf(let xs): out.append(contentsOf: xs)
      default: out.append(p)
      }
    }
    var unique: [LiteralRequirement] = []
    for p in out where !unique.contains(p) { unique.append(p) }
    if unique.isEmpty { return .any }
    return unique.count == 1 ? unique[0] : .oneOf(unique)
  }
}

/// Reads a PCRE2 pattern's text and works out the literals any match must contain.
///
/// The analysis follows RE2's prefilter: each part of the pattern is either an *exact* set
/// (every string it can match, when that set is small and all-ASCII) or a *requirement* on the
/// text. Concatenation multiplies exact sets, alternation unites them, optional parts (`?`,
/// `*`, `{0,n}`) become "anything", and `+`/`{n,m}` keep their operand's requirement.
///
/// It is deliberately conservative. Patterns are caseless, so literals are folded to ASCII
/// lower case; a non-ASCII character is treated as unknown (PCRE2's Unicode case folding is
/// not replicated here). Anything not understood — `(?x)`, `\Q…\E`, `\x..`, conditionals,
/// recursion, backtracking verbs, odd quantifiers — makes the whole pattern "always run".
/// Two ASCII letters also match non-ASCII characters caselessly (`k` ~ U+212A KELVIN SIGN,
/// `s` ~ U+017F LONG S); the prefilter handles that on the message side.
public enum LiteralExtractor {
  /// Literals shorter than this are not worth scanning for; a part made only of them counts
  /// as "anything".
  public static let minimumLiteralLength = 2
  /// The largest exact set kept before it is turned into a requirement. Larger sets give
  /// longer, more selective literals (`delete my data` rather than `delete` AND `data`), but
  /// more of them, and every literal's bytes are automaton states. On the shipped bot of 576
  /// patterns, 64 rather than 16 let 6% fewer patterns through and classified 10% faster. At
  /// 723 patterns, 64 gave 10,226 literals and 67,185 states (past the 65,536 of 16-bit
  /// transitions) while 32 gives 8,456 and 49,836, and classifies 3–5% faster on both
  /// benchmark message sets.
  static let maxExactSet = 32

  /// The requirement for `pattern` compiled with `extended`-mode off; `.any` when unsure.
  public static func requirement(for pattern: String, extended: Bool = false)
    -> LiteralRequirement
  {
    if extended { return .any }
    var parser = Parser(Array(pattern.unicodeScalars))
    do {
      let info = try parser.parseAlternation()
      guard parser.atEnd else { return .any }
      return info.requirement
    } catch {
      return .any
    }
  }

  /// The pattern's top-level branches (`a|b|c` → `a`, `b`, `c`) when it has several and they
  /// can be matched one at a time: the pattern's leftmost match is then the branches' match
  /// that starts first, the earliest branch on ties. Nil when there is one branch or the
  /// analysis is unsure (the same bail-outs as ``requirement(for:extended:)``, plus inline
  /// options, back-references, `\K`, `\G` and branch resets).
  public static func topLevelBranches(of pattern: String, extended: Bool = false) -> [String]? {
    analyze(pattern, extended: extended).branches?.map(\.source)
  }

  /// What ``requirement(for:extended:)`` and ``topLevelBranches(of:extended:)`` say, from one
  /// reading of the pattern, with each branch's own requirement.
  public struct Analysis: Sendable {
    public var requirement: LiteralRequirement
    public var branches: [(source: String, requirement: LiteralRequirement)]?
    /// Strings (lower-case ASCII, at least two bytes) one of which every match starts with,
    /// when known: the pattern cannot match before the first occurrence of one of them.
    public var leading: [[UInt8]]?
    /// The same for each branch of `branches`.
    public var branchLeading: [[[UInt8]]?]?
  }

  static func usableLeading(_ set: [[UInt8]]) -> [[UInt8]]? {
    set.isEmpty || set.contains(where: { $0.count < minimumLiteralLength }) ? nil : set
  }

  public static func analyze(_ pattern: String, extended: Bool = false) -> Analysis {
    if extended { return Analysis(requirement: .any, branches: nil) }
    let scalars = Array(pattern.unicodeScalars)
    var parser = Parser(scalars)
    guard let info = try? parser.parseAlternation(), parser.atEnd else {
      return Analysis(requirement: .any, branches: nil)
    }
    var result = Analysis(requirement: info.requirement, branches: nil)
    if parser.topLevelBars.isEmpty, parser.topLevelLeading.count == 1 {
      result.leading = usableLeading(parser.topLevelLeading[0])
    }
    guard !parser.branchesDepend, !parser.topLevelBars.isEmpty,
      parser.topLevelInfos.count == parser.topLevelBars.count + 1
    else { return result }
    var out: [(source: String, requirement: LiteralRequirement)] = []
    var start = 0
    for (k, bar) in (parser.topLevelBars + [scalars.count]).enumerated() {
      var branch = String.UnicodeScalarView()
      branch.append(contentsOf: scalars[start..<bar])
      out.append((String(branch), parser.topLevelInfos[k].requirement))
      start = bar + 1
    }
    result.branches = out
    if parser.topLevelLeading.count == out.count {
      result.branchLeading = parser.topLevelLeading.map(usableLeading)
    }
    return result
  }

  struct Bail: Error {}

  /// What is known about a piece of pattern.
  enum Info {
    /// The piece matches exactly one of these (lower-cased ASCII) strings.
    case exact([[UInt8]])
    /// The piece's matches all satisfy this requirement.
    case match(LiteralRequirement)

    static let empty = Info.exact([[]])
    static let anything = Info.match(.any)

    var requirement: LiteralRequirement {
      switch self {
      case .match(let r): return r
      case .exact(let set):
        if set.contains(where: { $0.count < LiteralExtractor.minimumLiteralLength }) {
          return .any
        }
        return .or(set.sorted { $0.lexicographicallyPrecedes($1) }.map { .literal($0) })
      }
    }

    static func dedupe(_ xs: [[UInt8]]) -> [[UInt8]] {
      var out: [[UInt8]] = []
      for x in xs where !out.contains(x) { out.append(x) }
      return out
    }

    static func union(_ a: [[UInt8]], _ b: [[UInt8]]) -> [[UInt8]] { dedupe(a + b) }

    static func alternate(_ a: Info, _ b: Info) -> Info {
      if case .exact(let x) = a, case .exact(let y) = b, x.count + y.count <= maxExactSet {
        return .exact(union(x, y))
      }
      return .match(.or([a.requirement, b.requirement]))
    }
  }

  struct Parser {
    let s: [Unicode.Scalar]
    var i = 0
    /// Group nesting at `i`.
    var depth = 0
    /// Scalar offsets of the `|` that separate top-level branches, and what each branch needs.
    var topLevelBars: [Int] = []
    var topLevelInfos: [Info] = []
    /// For each top-level branch, the strings one of which its match starts with.
    var topLevelLeading: [[[UInt8]]] = []
    /// Whether the pattern uses something that ties its branches together (inline options,
    /// back-references, `\K`, `\G`, branch reset), so they cannot be matched one by one.
    var branchesDepend = false
    /// Set by `parseQuantifier` when an exact atom is repeated at least once (`+`, `{n,m}`):
    /// the caller then treats it as the atom followed by anything.
    var repeated = false

    init(_ s: [Unicode.Scalar]) { self.s = s }

    var atEnd: Bool { i >= s.count }
    func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }

    mutating func parseAlternation() throws -> Info {
      let top = depth == 0
      var info = try parseConcat()
      if top { topLevelInfos.append(info) }
      while peek() == "|" {
        if top { topLevelBars.append(i) }
        i += 1
        let next = try parseConcat()
        if top { topLevelInfos.append(next) }
        info = Info.alternate(info, next)
      }
      return info
    }

    /// A sequence of atoms. Runs of exact atoms are multiplied out together (so a word's
    /// letters become one literal even after a `.*`); the rest are ANDed.
    mutating func parseConcat() throws -> Info {
      let top = depth == 0
      var required: [LiteralRequirement] = []
      var run: [[UInt8]] = [[]]
      var allExact = true
      // The strings a match must start with: the exact run before anything else.
      var leading: [[UInt8]]? = nil
      defer { if top { topLevelLeading.append(leading ?? run) } }
      while let c = peek(), c != "|", c != ")" {
        let plain = try parseAtom()
        repeated = false
        let atom = try parseQuantifier(plain)
        // `x+` is `x` then anything: the run goes on with one copy of x, then breaks.
        let breakAfter = repeated
        defer {
          if breakAfter {
            if leading == nil { leading = run }
            required.append(Info.exact(run).requirement)
            run = [[]]
            allExact = false
          }
        }
        switch atom {
        case .exact(let set):
          if set.count == 1 {
            // The common case, one more literal character: extend every string in place.
            let suffix = set[0]
            for k in run.indices { run[k].append(contentsOf: suffix) }
          } else if run.count * set.count <= maxExactSet {
            var out: [[UInt8]] = []
            for p in run { for q in set { out.append(p + q) } }
            run = Info.dedupe(out)
          } else {
            if leading == nil { leading = run }
            required.append(Info.exact(run).requirement)
            run = set
            allExact = false
          }
        case .match(let r):
          if leading == nil { leading = run }
          required.append(Info.exact(run).requirement)
          required.append(r)
          run = [[]]
          allExact = false
        }
      }
      if allExact { return .exact(run) }
      required.append(Info.exact(run).requirement)
      return .match(.and(required))
    }

    /// Applies a quantifier that follows an atom, if any.
    mutating func parseQuantifier(_ atom: Info) throws -> Info {
      var result = atom
      guard let c = peek() else { return result }
      switch c {
      case "?":
        i += 1
        if case .exact(let set) = atom, set.count < maxExactSet {
          result = .exact(Info.union(set, [[]]))
        } else {
          result = .anything
        }
      case "*":
        i += 1
        result = .anything
      case "+":
        i += 1
        if case .exact = atom { repeated = true } else { result = .match(atom.requirement) }
      case "{":
        guard let (low, _) = try quantifierBounds() else { return result }
        if low == 0 {
          result = .anything
        } else if case .exact = atom {
          repeated = true
        } else {
          result = .match(atom.requirement)
        }
      default:
        return result
      }
      // Lazy or possessive suffix.
      if let n = peek(), n == "?" || n == "+" { i += 1 }
      // A second quantifier in a row is a syntax PCRE2 rejects or treats oddly: give up.
      if let n = peek(), n == "?" || n == "*" || n == "+" || n == "{" { throw Bail() }
      return result
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` at `i`. Anything else starting with `{` bails, since
    /// PCRE2 versions differ on what is a literal brace.
    mutating func quantifierBounds() throws -> (Int, Int?)? {
      var j = i + 1
      func number(_ j: inout Int) -> Int? {
        var v = 0
        var digits = 0
        while j < s.count, let d = digit(s[j]) {
          v = min(v * 10 + d, 1_000_000)
          digits += 1
          j += 1
        }
        return digits > 0 ? v : nil
      }
      guard let low = number(&j) else { throw Bail() }
      var high: Int? = low
      if j < s.count, s[j] == "," {
        j += 1
        high = number(&j)
      }
      guard j < s.count, s[j] == "}" else { throw Bail() }
      i = j + 1
      return (low, high)
    }

    func digit(_ c: Unicode.Scalar) -> Int? {
      c.value >= 0x30 && c.value <= 0x39 ? Int(c.value - 0x30) : nil
    }

    mutating func parseAtom() throws -> Info {
      guard let c = peek() else { throw Bail() }
      switch c {
      case "(":
        return try parseGroup()
      case "[":
        return try parseClass()
      case "\\":
        return try parseEscape()
      case ".":
        i += 1
        return .anything
      case "^", "$":
        i += 1
        return .empty
      case "*", "+", "?", "{", "}", "]", ")":
        // A quantifier with nothing to repeat, or a brace PCRE2 may read as a literal.
        throw Bail()
      default:
        i += 1
        return Self.literal(c)
      }
    }

    static func literal(_ c: Unicode.Scalar) -> Info {
      guard c.isASCII else { return .anything }
      return .exact([[fold(UInt8(c.value))]])
    }

    static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }

    mutating func parseGroup() throws -> Info {
      i += 1  // (
      var lookaround = false
      var positive = false
      if peek() == "*" { throw Bail() }  // verbs and (*pla:…) forms
      if peek() == "?" {
        guard let k = peek(1) else { throw Bail() }
        switch k {
        case ":", "|", ">":
          if k == "|" { branchesDepend = true }
          i += 2
        case "=", "!":
          i += 2
          lookaround = true
          positive = k == "="
        case "<":
          if let n = peek(2), n == "=" || n == "!" {
            i += 3
            lookaround = true
            positive = n == "="
          } else {
            i += 2
            try skipName(until: ">")
          }
        case "'":
          i += 2
          try skipName(until: "'")
        case "P":
          guard peek(2) == "<" else { throw Bail() }  // (?P=name) and (?P>name)
          i += 3
          try skipName(until: ">")
        case "#":
          // A comment: no nesting, no escapes.
          while let x = peek(), x != ")" { i += 1 }
          guard peek() == ")" else { throw Bail() }
          i += 1
          return .empty
        default:
          // Option settings: (?i) (?-i) (?^) or (?i:…). `x` changes the syntax: give up.
          i += 1
          var sawOption = false
          while let x = peek() {
            if "imnsUJ-^".unicodeScalars.contains(x) {
              sawOption = true
              i += 1
            } else {
              break
            }
          }
          guard sawOption, let end = peek() else { throw Bail() }
          branchesDepend = true
          i += 1
          if end == ")" { return .empty }
          guard end == ":" else { throw Bail() }
        }
      }
      depth += 1
      let inner = try parseAlternation()
      depth -= 1
      guard peek() == ")" else { throw Bail() }
      i += 1
      guard lookaround else { return inner }
      // A lookaround matches no text of its own, but a positive one needs its contents to
      // match next to it: whatever they require, the message contains.
      return positive ? .match(inner.requirement) : .empty
    }

    mutating func skipName(until end: Unicode.Scalar) throws {
      var n = 0
      while let x = peek(), x != end {
        guard x.isASCII, x.properties.isAlphabetic || digit(x) != nil || x == "_" else {
          throw Bail()
        }
        i += 1
        n += 1
      }
      guard n > 0, peek() == end else { throw Bail() }
      i += 1
    }

    mutating func parseEscape() throws -> Info {
      guard let e = peek(1) else { throw Bail() }
      i += 2
      if !e.isASCII { return .anything }
      let v = UInt8(e.value)
      let isAlnum =
        (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
      if !isAlnum {
        // An escaped punctuation or space character stands for itself.
        return Self.literal(e)
      }
      switch e {
      case "G", "K":
        branchesDepend = true
        return .empty
      case "b", "B", "A", "Z", "z":
        return .empty
      case "d", "D", "w", "W", "s", "S", "h", "H", "v", "V", "R", "X", "C":
        return .anything
      case "N":
        if peek() == "{" { throw Bail() }
        return .anything
      case "n", "t", "r", "f", "e", "a":
        return .anything
      case "p", "P":
        if peek() == "{" {
          while let x = peek(), x != "}" { i += 1 }
          guard peek() == "}" else { throw Bail() }
          i += 1
        } else {
          guard peek() != nil else { throw Bail() }
          i += 1
        }
        return .anything
      case "1", "2", "3", "4", "5", "6", "7", "8", "9":
        // A back-reference (it may match the empty string). Multi-digit forms can be octal.
        if let n = peek(), digit(n) != nil { throw Bail() }
        branchesDepend = true
        return .anything
      default:
        // \x \o \0 \c \Q \E \g \k and anything newer: give up.
        throw Bail()
      }
    }

    /// A character class: an exact set when it is a handful of ASCII characters, else
    /// "anything". Only has to find the class's end reliably; bails when unsure.
    mutating func parseClass() throws -> Info {
      i += 1  // [
      var negated = false
      if peek() == "^" {
        negated = true
        i += 1
      }
      var members = Set<UInt8>()
      var unknown = false
      var first = true
      while true {
        guard let c = peek() else { throw Bail() }
        if c == "]" && !first {
          i += 1
          break
        }
        first = false
        if c == "[" && peek(1) == ":" {
          // POSIX class [:name:]
          i += 2
          while let x = peek(), x != ":" {
            guard x.isASCII, x.properties.isAlphabetic || x == "^" else { throw Bail() }
            i += 1
          }
          guard peek() == ":", peek(1) == "]" else { throw Bail() }
          i += 2
          unknown = true
          continue
        }
        if c == "[" && (peek(1) == "." || peek(1) == "=") { throw Bail() }
        var single: Unicode.Scalar? = nil
        if c == "\\" {
          guard let e = peek(1) else { throw Bail() }
          i += 2
          if e.isASCII {
            let v = UInt8(e.value)
            let isAlnum =
              (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
            if !isAlnum {
              single = e
            } else if "dDwWsShHvVnrtfeabN".unicodeScalars.contains(e) {
              unknown = true
            } else if e == "p" || e == "P" {
              if peek() == "{" {
                while let x = peek(), x != "}" { i += 1 }
                guard peek() == "}" else { throw Bail() }
                i += 1
              } else {
                guard peek() != nil else { throw Bail() }
                i += 1
              }
              unknown = true
            } else {
              throw Bail()
            }
          } else {
            unknown = true
          }
        } else {
          i += 1
          single = c
        }
        guard let ch = single else {
          continue
        }
        // A range a-z (the '-' is literal when last).
        if peek() == "-", let hi = peek(1), hi != "]" {
          guard ch.isASCII, hi.isASCII, hi != "\\", hi != "[" else {
            // Ranges with escapes or non-ASCII ends: skip the end, know nothing.
            if hi == "\\" || hi == "[" { throw Bail() }
            i += 2
            unknown = true
            continue
          }
          i += 2
          let lo = UInt8(ch.value)
          let up = UInt8(hi.value)
          guard lo <= up else { throw Bail() }
          if Int(up) - Int(lo) > 8 {
            unknown = true
          } else {
            for b in lo...up { members.insert(Self.fold(b)) }
          }
          continue
        }
        if ch.isASCII {
          members.insert(Self.fold(UInt8(ch.value)))
        } else {
          unknown = true
        }
      }
      // Caseless: a letter stands for both cases, which `fold` already merged.
      if negated || unknown || members.isEmpty || members.count > 8 { return .anything }
      return .exact(members.sorted().map { [$0] })
    }
  }
}
