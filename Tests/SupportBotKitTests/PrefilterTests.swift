import PCRE2
import Testing

@testable import SupportBotKit

/// The prefilter must never change a result: it may only skip patterns that cannot match.
@Suite struct PrefilterTests {
  // MARK: Literal extraction

  @Test(arguments: [
    (#"\b(delete|close)\b.{0,30}\baccount\b"#, #"(("close" OR "delete") AND "account")"#),
    ("colou?r", #"("color" OR "colour")"#),
    ("organi[sz]e", #"("organise" OR "organize")"#),
    ("ORGANI[SZ]E", #"("organise" OR "organize")"#),
    ("(?i)Hello", #""hello""#),
    ("hello(?=world)", #"("hello" AND "world")"#),
    ("hello(?!world)", #""hello""#),
    ("(?<=say )hello", #"("say " AND "hello")"#),
    ("(?<who>me|you) there", #"("me there" OR "you there")"#),
    (#"(?:\W+\w+){0,4}?\W+email\b"#, #""email""#),
    ("(ab)+c", #""ab""#),
    ("no+pe|nah", #"(("no" AND "pe") OR "nah")"#),
    ("(?:ok)+ then", #"("ok" AND " then")"#),
    (#"log ?in\.\*"#, #"("log in.*" OR "login.*")"#),
    ("caf\u{E9} au lait", #"("caf" AND " au lait")"#),
    (#"^\d{6}$"#, "any"),
    ("a*", "any"),
    ("(?x) a b", "any"),
    (#"\Qab\E"#, "any"),
    (#"\x41bc"#, "any"),
    ("hi|.", "any"),
    ("(?(1)a|b)", "any"),
    ("(*UCP)hello", "any"),
    ("ab{,3}", "any"),
    (#"[^a]bc|[\w]de"#, #"("bc" OR "de")"#),
    ("x{2,}yz", #""yz""#),
  ])
  func extractsLiterals(pattern: String, expected: String) {
    #expect(LiteralExtractor.requirement(for: pattern).description == expected)
  }

  /// Clauses that say exactly what the requirement does need no formula check after them;
  /// any weakening must be reported, or the prefilter would pass patterns it could reject.
  @Test func clausesAreExactUnlessWeakened() {
    func lit(_ s: String) -> LiteralRequirement { .literal(Array(s.utf8)) }
    func exact(_ r: LiteralRequirement) -> Bool { Prefilter.clauseSet(of: r).exact }
    #expect(exact(.any))
    #expect(exact(lit("account")))
    #expect(exact(.all([.oneOf([lit("close"), lit("delete")]), lit("account")])))
    #expect(exact(.oneOf([.all([lit("a"), lit("b")]), .all([lit("c"), lit("d")])])))
    // An alternative that needs nothing: the OR needs nothing, exactly.
    #expect(exact(.oneOf([lit("a"), .any])))
    #expect(Prefilter.clauseSet(of: .oneOf([lit("a"), .any])).clauses.isEmpty)
    // Cut to the automaton's key length.
    let long = String(repeating: "x", count: Prefilter.keyLength + 1)
    #expect(!exact(lit(long)))
    #expect(!exact(.all([lit("a"), .oneOf([lit("b"), lit(long)])])))
    // Too many combinations to multiply out: (a1 AND a2 …) OR (b1 AND b2 …) OR ….
    let wide = LiteralRequirement.oneOf(
      (0..<3).map { i in .all((0..<4).map { j in lit("w\(i)\(j)") }) })
    #expect(!exact(wide))
    // More clauses than are kept.
    let many = LiteralRequirement.all((0...Prefilter.maxClauses).map { lit("c\($0)x") })
    #expect(!exact(many))
    #expect(Prefilter.clauseSet(of: many).clauses.count == Prefilter.maxClauses)
  }

  @Test func splitsTopLevelBranchesOnlyWhenSafe() {
    #expect(LiteralExtractor.topLevelBranches(of: "ab|c(d|e)|f") == ["ab", "c(d|e)", "f"])
    #expect(LiteralExtractor.topLevelBranches(of: "(a|b)") == nil)
    #expect(LiteralExtractor.topLevelBranches(of: "abc") == nil)
    #expect(LiteralExtractor.topLevelBranches(of: "a(?i)b|c") == nil)
    #expect(LiteralExtractor.topLevelBranches(of: "(a)|\\1") == nil)
    #expect(LiteralExtractor.topLevelBranches(of: "a\\Kb|c") == nil)
    #expect(LiteralExtractor.topLevelBranches(of: "(?|a|b)|c") == nil)
    #expect(LiteralExtractor.topLevelBranches(of: "[|]|x") == ["[|]", "x"])
  }

  // MARK: Aho-Corasick

  @Test func ahoCorasickFindsEveryLiteralIgnoringASCIICase() {
    var g = SplitMix64(seed: 3)
    let alphabet = Array("abcAB c'-é".utf8)
    for _ in 0..<200 {
      let literals: [[UInt8]] = (0..<Int.random(in: 1...12, using: &g)).map { _ in
        (0..<Int.random(in: 1...4, using: &g)).map { _ in
          AhoCorasick.fold(alphabet[Int.random(in: 0..<alphabet.count, using: &g)])
        }
      }
      let ac = AhoCorasick(literals: literals)
      for _ in 0..<20 {
        let text = (0..<Int.random(in: 0...30, using: &g)).map { _ in
          alphabet[Int.random(in: 0..<alphabet.count, using: &g)]
        }
        var found = Set<Int>()
        text.withUnsafeBufferPointer { buf in ac.scan(buf) { found.insert($0) } }
        let folded = text.map(AhoCorasick.fold)
        for (id, lit) in literals.enumerated() {
          let present = Self.contains(folded, lit)
          #expect(found.contains(id) == present, "\(lit) in \(text)")
        }
      }
    }
  }

  /// Past 65,536 states the automaton switches from 16-bit to 32-bit transitions; both must
  /// report every occurrence (literal and end offset) that a brute-force search finds.
  ///
  /// With few literals, the last rounds' texts are several scan chunks long
  /// (``AhoCorasick/chunkBytes``), with occurrences across the chunk boundaries.
  @Test(arguments: [300, 4_000])
  func ahoCorasickReportsEveryOccurrenceAtBothTableWidths(literalCount: Int) {
    var g = SplitMix64(seed: UInt64(literalCount))
    let alphabet = Array("abcdefghij kAB".utf8)
    func word(_ n: Int) -> [UInt8] {
      (0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &g)] }
    }
    // Long literals sharing few prefixes: roughly 25 states each.
    let literals = (0..<literalCount).map { i in
      i % 10 == 0
        ? word(Int.random(in: 1...3, using: &g)) : word(Int.random(in: 20...30, using: &g))
    }.map { $0.map(AhoCorasick.fold) }
    let ac = AhoCorasick(literals: literals)
    #expect(literalCount < 1_000 ? ac.stateCount < 0x1_0000 : ac.stateCount > 0x1_0000)
    // Counted without building: the same, also with duplicates, upper case and empty literals.
    #expect(AhoCorasick.stateCount(of: literals) == ac.stateCount)
    let messy = literals.prefix(50).map { $0.map { $0 &- 0x61 < 26 ? $0 - 0x20 : $0 } }
    #expect(
      AhoCorasick.stateCount(of: literals + messy + [[]])
        == AhoCorasick(literals: literals + messy + [[]]).stateCount)
    let chunk = AhoCorasick.chunkBytes
    var acrossChunks = 0
    for round in 0..<30 {
      let length = literalCount < 1_000 && round >= 26 ? 3 * chunk + 17 : 200
      // Texts built from pieces of literals, so long literals do occur.
      var text: [UInt8] = []
      while text.count < length {
        let lit = literals[Int.random(in: 0..<literals.count, using: &g)]
        text += round % 2 == 0 ? lit : Array(lit.prefix(Int.random(in: 0...lit.count, using: &g)))
        text += word(Int.random(in: 0...3, using: &g))
      }
      var found = Set<[Int]>()
      text.withUnsafeBufferPointer { buf in ac.scan(buf) { id, end in found.insert([id, end]) } }
      let folded = text.map(AhoCorasick.fold)
      var expected = Set<[Int]>()
      for (id, lit) in literals.enumerated() where lit.count <= folded.count {
        for start in 0...(folded.count - lit.count)
        where folded[start..<start + lit.count].elementsEqual(lit) {
          expected.insert([id, start + lit.count])
        }
      }
      let missing = expected.subtracting(found)
      let extra = found.subtracting(expected)
      #expect(
        missing.isEmpty && extra.isEmpty,
        "[literal, end] missing: \(missing.prefix(5)), extra: \(extra.prefix(5))")
      acrossChunks +=
        expected.filter { o in
          let end = o[1]
          return (end - literals[o[0]].count) / chunk != (end - 1) / chunk
        }.count
      if round % 2 == 0 {
        #expect(expected.contains { literals[$0[0]].count >= 20 }, "a long literal occurs")
      }
    }
    if literalCount < 1_000 { #expect(acrossChunks > 0, "an occurrence crosses a chunk boundary") }
  }

  /// Strings scanned for only to find where a match may start are dropped when they would
  /// take the automaton past 16-bit transitions; start sets made of clause literals stay.
  /// With few units nothing is dropped. Survivors never change.
  @Test(arguments: [100, 2_400])
  func leadingStringsGiveWayToA16BitAutomaton(units: Int) {
    var g = SplitMix64(seed: UInt64(units))
    let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
    func word() -> [UInt8] { (0..<24).map { _ in letters[Int.random(in: 0..<26, using: &g)] } }
    // Each unit needs its own literal; even units start with it, odd ones with a string of
    // their own that no clause uses (about 24 states each).
    let own = (0..<units).map { _ in word() }
    let starts = (0..<units).map { u in u % 2 == 0 ? own[u] : word() }
    let withLeading = Prefilter(
      requirements: own.map { .literal($0) }, leading: starts.map { [$0] })
    let without = Prefilter(requirements: own.map { .literal($0) })
    let dropped = units > 1_000  // 2,400 own literals: about 58,000 states, 87,000 with the rest
    #expect(withLeading.automatonStates <= AhoCorasick.compactStateLimit || !dropped)
    #expect((withLeading.automatonStates > without.automatonStates) == !dropped)
    let a = PrefilterScratch(for: withLeading)
    let b = PrefilterScratch(for: without)
    for u in [0, 1, units - 2, units - 1] {
      // The unit's literal at offset 7, its start string (odd units) at offset 40.
      var text = Array("say: x ".utf8) + own[u] + Array(" and ".utf8)
      text += Array(repeating: UInt8(ascii: "z"), count: 40 - text.count) + starts[u]
      text.withUnsafeBufferPointer { withLeading.run($0, a) }
      text.withUnsafeBufferPointer { without.run($0, b) }
      #expect(Array(a.survivors) == Array(b.survivors))
      #expect(Array(a.survivors) == [Int32(u)])
      let expected = u % 2 == 0 ? 7 : (dropped ? 0 : 40)
      #expect(withLeading.startBound(u, a) == expected, "unit \(u)")
    }
  }

  static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= hay.count else { return false }
    for i in 0...(hay.count - needle.count) where Array(hay[i..<i + needle.count]) == needle {
      return true
    }
    return false
  }

  // MARK: Soundness on random patterns

  /// Random patterns from a grammar covering alternation, groups, quantifiers, classes,
  /// escapes, anchors and lookarounds; random subjects from the same vocabulary in mixed case
  /// (with the two non-ASCII characters that match `k` and `s` caselessly). Whenever PCRE2
  /// matches, the prefilter must have let the pattern through.
  @Test func neverRejectsAPatternThatMatches() throws {
    var g = SplitMix64(seed: 11)
    let words = ["ac", "ab", "bc", "key", "ski", "ok", "s", "k", "a b", "c-d", "x.y", "é", "🙂"]
    func atom(_ depth: Int) -> String {
      switch Int.random(in: 0..<12, using: &g) {
      case 0 where depth < 3:
        let n = Int.random(in: 1...3, using: &g)
        let alts = (0..<n).map { _ in seq(depth + 1) }.joined(separator: "|")
        return ["(", "(?:", "(?<n\(depth)x>", "(?i:", "(?=", "(?!", "(?<=", "(?>"][
          Int.random(in: 0..<8, using: &g)] + alts + ")"
      case 1:
        return ["[abc]", "[a-c]", "[^a]", "[ks]", "[A-Z]", "[\\w.]", "[é]", "[]a]"][
          Int.random(in: 0..<8, using: &g)]
      case 2:
        return ["\\b", "\\B", "^", "$", "\\w", "\\W", "\\s", "\\d", ".", "\\.", "\\-"][
          Int.random(in: 0..<11, using: &g)]
      default: return words[Int.random(in: 0..<words.count, using: &g)]
      }
    }
    func seq(_ depth: Int) -> String {
      var s = ""
      for _ in 0..<Int.random(in: 1...4, using: &g) {
        s += atom(depth)
        if Int.random(in: 0..<4, using: &g) == 0 {
          s +=
            ["?", "*", "+", "{0,2}", "{1,3}", "{2}", "??", "+?", "*+", "{1,}"][
              Int.random(in: 0..<10, using: &g)]
        }
      }
      return s
    }
    let subjectWords =
      words + ["AC", "Ab", "KEY", "\u{212A}ey", "\u{017F}ki", "O\u{212A}", " ", "  "]
    let scratch = MatchScratch()
    var checked = 0
    for _ in 0..<3000 {
      let source = seq(0)
      guard let pattern = try? Pattern(source) else { continue }
      let pf = Prefilter(patterns: [(source, false)])
      let pfs = PrefilterScratch(for: pf)
      for _ in 0..<25 {
        let subject = (0..<Int.random(in: 0...6, using: &g)).map { _ in
          subjectWords[Int.random(in: 0..<subjectWords.count, using: &g)]
        }.joined(separator: ["", " "][Int.random(in: 0..<2, using: &g)])
        let bytes = Array(subject.utf8)
        let (matched, allowed) = bytes.withUnsafeBufferPointer { buf in
          pf.run(buf, pfs)
          return ((try? pattern.firstMatch(in: buf, scratch: scratch)) != nil, pfs.mayMatch(0))
        }
        checked += 1
        if matched && !allowed {
          Issue.record(
            "\(source) matches \(subject.debugDescription) but requires \(pf.requirements[0])")
          return
        }
      }
    }
    #expect(checked > 10_000)
  }

  /// Whole bots of random patterns, many with top-level alternatives (which the matcher may
  /// run branch by branch) and named groups: the prefiltered matcher must agree with the naive
  /// one on every field.
  @Test func randomBotsGiveExactlyTheNaiveResults() throws {
    var g = SplitMix64(seed: 21)
    let words = ["ab", "ac", "key", "ski", "a b", "bc", "c-d", "x.y", "é"]
    func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &g)] }
    func branch(_ n: Int) -> String {
      var s = ""
      for _ in 0..<Int.random(in: 1...3, using: &g) {
        switch Int.random(in: 0..<8, using: &g) {
        case 0: s += "\\b"
        case 1: s += pick(["\\w+", ".{0,3}", "\\W*", "\\s", "[abc]"])
        case 2: s += "(?<g\(n)x\(Int.random(in: 0..<100, using: &g))>" + pick(words) + ")"
        case 3: s += "(?:" + pick(words) + "|" + pick(words) + ")" + pick(["", "?", "+"])
        default: s += pick(words)
        }
      }
      return s
    }
    var checked = 0
    for n in 0..<150 {
      var yaml = "intents:\n"
      for i in 0..<3 {
        yaml += "  - id: i\(i)\n    priority: \(pick([0, 0, 5, 10]))\n    patterns:\n"
        for _ in 0..<Int.random(in: 1...2, using: &g) {
          let alts = (0..<Int.random(in: 1...4, using: &g)).map { _ in branch(n) }
          let source = alts.joined(separator: "|").replacingOccurrences(of: "'", with: "''")
          yaml += "      - '\(source)'\n"
        }
        if Bool.random(using: &g) {
          yaml += "    exclude: ['\(branch(n))|\(branch(n))']\n"
        }
      }
      // Patterns that fail to compile (duplicate group names) make a bot that does not load.
      guard let bot = try? load(yaml) else { continue }
      let fast = Matcher(bot: bot)
      let naive = Matcher(bot: bot, prefilter: false)
      for _ in 0..<30 {
        let m = (0..<Int.random(in: 0...6, using: &g)).map { _ in
          pick(words + ["AB", "KEY", "\u{212A}ey", " ", "zz"])
        }.joined(separator: pick(["", " "]))
        let expected: Set<String> =
          Bool.random(using: &g) ? [] : ["i\(Int.random(in: 0..<3, using: &g))"]
        let full = naive.classify(m, expected: expected)
        if let diff = Self.difference(fast.classify(m, expected: expected), full)
          ?? Self.winnerDifference(fast.classify(m, expected: expected, ranking: .winner), full)
        {
          Issue.record("\(yaml)\n\(m.debugDescription): \(diff)")
          return
        }
        checked += 1
      }
    }
    #expect(checked > 2000)
  }

  // MARK: The shipped bot: prefilter against the naive loop

  static let shipped: Bot? = try? BotLoader.load(directory: shippedBotDirectory)

  /// Every example and counter-example of the shipped bot, then a large generated set built
  /// from them: mixed case, joined pairs, noise, typography, long repeats, truncations, the
  /// caseless non-ASCII `k` and `s`, and words from the patterns' own literals.
  static func corpus(_ bot: Bot) -> [String] {
    var base: [String] = []
    for i in bot.intents {
      base += i.examples.map(\.text) + i.counterExamples.map(\.text)
    }
    if base.isEmpty { base = ["hello"] }
    var vocabulary: [String] = []
    for i in bot.intents {
      for p in i.patterns + i.exclusions {
        for lit in LiteralExtractor.requirement(for: p.source).literals {
          vocabulary.append(String(decoding: lit, as: UTF8.self))
        }
      }
    }
    if vocabulary.isEmpty { vocabulary = ["account"] }
    let noise = [
      "hi", "thanks", "pls", "ok so", "um", "!!!", "?", "\u{2019}", "\u{201C}", "—", "\u{A0}",
      "\u{200B}", "é", "🙂", "删除", "acct", "cant", "2FA", "\t", "\n",
    ]
    var g = SplitMix64(seed: 42)
    var out = base
    func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &g)] }
    func recase(_ s: String) -> String {
      String(
        s.map { c in
          switch Int.random(in: 0..<3, using: &g) {
          case 0: return Character(c.uppercased())
          case 1: return Character(c.lowercased())
          default: return c
          }
        })
    }
    for n in 0..<12_000 {
      var m: String
      switch n % 8 {
      case 0: m = recase(pick(base))
      case 1: m = pick(base) + pick([" and ", ". ", ", also ", " "]) + pick(base)
      case 2: m = pick(noise) + " " + pick(base) + " " + pick(noise)
      case 3:
        m = (0..<Int.random(in: 1...8, using: &g)).map { _ in
          Bool.random(using: &g) ? pick(vocabulary) : pick(noise)
        }.joined(separator: " ")
      case 4:
        m = String(repeating: pick(base) + " ", count: Int.random(in: 5...40, using: &g))
      case 5:
        let s = pick(base)
        m = String(s.prefix(Int.random(in: 0...s.count, using: &g)))
      case 6:
        m = pick(base).replacingKS(&g)
      default:
        m = (0..<Int.random(in: 2...6, using: &g)).map { _ in pick(vocabulary) }.joined()
      }
      out.append(m)
    }
    return out
  }

  @Test func shippedBotGivesExactlyTheNaiveResults() throws {
    let bot = try #require(Self.shipped)
    let fast = Matcher(bot: bot)
    let naive = Matcher(bot: bot, prefilter: false)
    let contextual = bot.intents.filter(\.contextual).map(\.id)
    var g = SplitMix64(seed: 5)
    var failures = 0
    var shortened = 0
    defer { #expect(shortened > 1000, "winner-only ranking stopped early \(shortened) times") }
    for (n, m) in Self.corpus(bot).enumerated() {
      var expected: Set<String> = []
      if n % 3 == 1, !contextual.isEmpty {
        for _ in 0..<Int.random(in: 1...3, using: &g) {
          expected.insert(contextual[Int.random(in: 0..<contextual.count, using: &g)])
        }
      }
      if n % 3 == 2 {
        // States also expect ordinary intents, which then outrank the rest.
        for _ in 0..<Int.random(in: 1...3, using: &g) {
          expected.insert(bot.intents[Int.random(in: 0..<bot.intents.count, using: &g)].id)
        }
      }
      let a = fast.classify(m, expected: expected)
      let b = naive.classify(m, expected: expected)
      let w = fast.classify(m, expected: expected, ranking: .winner)
      if !w.isComplete { shortened += 1 }
      if let diff = Self.difference(a, b) ?? Self.winnerDifference(w, b) {
        failures += 1
        Issue.record("\(m.debugDescription) expected \(expected.sorted()): \(diff)")
        if failures > 10 { return }
      }
    }
  }

  /// How a winner-only classification differs from the full one in what it promises: the
  /// same winner with the same hits and entities, and the full ranking when it says complete.
  static func winnerDifference(_ w: Classification, _ full: Classification) -> String? {
    if w.isComplete { return difference(w, full).map { "complete winner-only: \($0)" } }
    if w.intent != full.intent { return "winner-only \(w.intent ?? "-") vs \(full.intent ?? "-")" }
    if w.entities != full.entities { return "winner-only entities \(w.entities)" }
    guard let x = w.winner, let y = full.winner else { return "incomplete without a winner" }
    if x.best != y.best || x.hits != y.hits || x.expected != y.expected {
      return "winner-only hits \(x.hits) vs \(y.hits)"
    }
    let ranked = full.candidates.map(\.intent)
    for c in w.candidates where !ranked.contains(c.intent) {
      return "winner-only lists \(c.intent), which the full ranking does not"
    }
    return nil
  }

  /// Winner-only ranking stops after the best rank class with a live match, says so, and
  /// does not claim a runner-up it never looked for.
  @Test func winnerOnlyRankingStopsAtTheBestRankClass() throws {
    let bot = try load(
      """
      intents:
        - id: close_account
          priority: 10
          patterns: ['\\bclose (?:my )?account\\b']
        - id: account_talk
          patterns: ['\\baccount\\b']
        - id: polite
          patterns: ['\\bplease\\b']
      """)
    let m = Matcher(bot: bot)
    let full = m.classify("please close my account")
    let w = m.classify("please close my account", ranking: .winner)
    #expect(full.isComplete && !w.isComplete)
    #expect(w.intent == "close_account" && full.intent == "close_account")
    #expect(full.candidates.map(\.intent) == ["close_account", "account_talk", "polite"])
    #expect(w.candidates.map(\.intent) == ["close_account"])
    #expect(full.reason.contains("higher priority"))
    #expect(w.reason.contains("lower ranks not tried"))
    // Nothing matches in the top class: the next one is tried, then the ranking is complete.
    let down = m.classify("account please", ranking: .winner)
    #expect(down.intent == "account_talk" && down.isComplete)
    #expect(Self.difference(down, m.classify("account please")) == nil)
  }

  /// A matcher whose prefilter is built on another thread answers the same before, while
  /// and after the build; its copies share the build.
  /// Until a background-built index is ready, patterns run in PCRE2's interpreter (no JIT
  /// compilation at start-up); its matches must be the JIT's, for every shipped pattern.
  @Test func interpreterAndJITFindTheSameMatches() throws {
    let bot = try #require(Self.shipped)
    let patterns = bot.intents.flatMap { $0.patterns + $0.exclusions }.map(\.compiled)
    let scratch = MatchScratch(limits: .default, groups: 32)
    var compared = 0
    for m in Self.corpus(bot).prefix(150) {
      let text = Array(bot.normalizer.normalize(m).utf8)
      try text.withUnsafeBufferPointer { buf in
        for p in patterns {
          let interpreted = try p.firstMatch(in: buf, scratch: scratch, jit: false)
          let jitted = try p.firstMatch(in: buf, scratch: scratch, jit: true)
          #expect(interpreted == jitted, "\(p.source) on \(m)")
          if jitted != nil { compared += 1 }
        }
      }
    }
    #expect(compared > 100, "enough matches to compare")
  }

  @Test func prefilterBuiltInTheBackgroundChangesNoAnswer() throws {
    let bot = try #require(Self.shipped)
    let naive = Matcher(bot: bot, prefilter: false)
    let background = Matcher(bot: bot, buildInBackground: true)
    let copy = background.copy()
    let messages = Array(Self.corpus(bot).prefix(400))
    for m in messages {
      let want = naive.classify(m)
      #expect(Self.difference(background.classify(m), want) == nil, "\(m)")
      #expect(
        Self.difference(copy.classify(m, ranking: .winner), want) == nil
          || !copy.classify(m, ranking: .winner).isComplete)
    }
    background.waitForPrefilter()
    copy.waitForPrefilter()
    #expect(background.prefilter != nil && copy.prefilter != nil)
    for m in messages {
      #expect(Self.difference(background.classify(m), naive.classify(m)) == nil, "\(m)")
      #expect(Self.difference(copy.classify(m), naive.classify(m)) == nil, "\(m)")
    }
    #expect(Matcher(bot: bot, prefilter: false).prefilter == nil)
  }

  @Test func everyPatternThatMatchesSurvivesThePrefilter() throws {
    let bot = try #require(Self.shipped)
    let patterns = bot.intents.flatMap { $0.patterns + $0.exclusions }
    let pf = Prefilter(patterns: patterns.map { ($0.source, false) })
    let pfs = PrefilterScratch(for: pf)
    let scratch = MatchScratch(groups: 64)
    let normalizer = bot.normalizer
    for m in Self.corpus(bot) {
      let bytes = Array(normalizer.normalize(m).utf8)
      bytes.withUnsafeBufferPointer { buf in
        pf.run(buf, pfs)
        for (k, p) in patterns.enumerated() where !pfs.mayMatch(k) {
          if (try? p.compiled.firstMatch(in: buf, scratch: scratch)) ?? nil != nil {
            Issue.record("\(p.location) matches \(m.debugDescription) but was filtered out")
          }
        }
      }
    }
  }

  @Test func kelvinSignAndLongSStillMatch() throws {
    let bot = try load(
      """
      intents:
        - id: key
          patterns: ['\\bkeys?\\b']
        - id: ask
          patterns: ['\\bask about\\b']
      """)
    let m = Matcher(bot: bot)
    #expect(m.classify("my \u{212A}ey").intent == "key")
    #expect(m.classify("I want to a\u{017F}k about it").intent == "ask")
    #expect(m.classify("nothing here").intent == nil)
  }

  /// A description of how two classifications differ, or nil when they are the same.
  static func difference(_ a: Classification, _ b: Classification) -> String? {
    if a.normalized != b.normalized { return "normalised \(a.normalized) vs \(b.normalized)" }
    if a.intent != b.intent { return "winner \(a.intent ?? "-") vs \(b.intent ?? "-")" }
    if a.reason != b.reason { return "reason \(a.reason) vs \(b.reason)" }
    if a.limitErrors != b.limitErrors { return "limit errors \(a.limitErrors) vs \(b.limitErrors)" }
    if a.entities != b.entities { return "entities \(a.entities) vs \(b.entities)" }
    guard a.candidates.count == b.candidates.count else {
      return "candidates \(a.candidates.map(\.intent)) vs \(b.candidates.map(\.intent))"
    }
    for (x, y) in zip(a.candidates, b.candidates) {
      if x.intent != y.intent || x.priority != y.priority || x.expected != y.expected
        || x.order != y.order || x.best != y.best || x.hits != y.hits
        || x.excludedBy != y.excludedBy || x.captures != y.captures
        || x.specificity != y.specificity
      {
        return "candidate \(x.intent): \(x.best) vs \(y.best)"
      }
    }
    return nil
  }
}

extension String {
  /// Replaces some `k`/`s` with the non-ASCII characters PCRE2 matches to them caselessly.
  fileprivate func replacingKS(_ g: inout SplitMix64) -> String {
    var out = ""
    for c in self {
      if (c == "k" || c == "K") && Bool.random(using: &g) {
        out.unicodeScalars.append("\u{212A}")
      } else if (c == "s" || c == "S") && Bool.random(using: &g) {
        out.unicodeScalars.append("\u{017F}")
      } else {
        out.append(c)
      }
    }
    return out
  }
}
