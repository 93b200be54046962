/// Decides, for one normalised message, which patterns could possibly match it, so the
/// matcher runs PCRE2 only on those.
///
/// Each pattern gets a ``LiteralRequirement`` from ``LiteralExtractor``; all their literals go
/// into one ``AhoCorasick`` automaton. A message is scanned once; a pattern survives when its
/// requirement holds for the literals found, or when it has no requirement ("always run").
/// Skipping a pattern is only ever done when it provably cannot match, so results equal the
/// naive loop's.
///
/// Immutable and shareable; the per-message bookkeeping lives in a ``PrefilterScratch``. A
/// class, so the hot path passes one reference instead of copying two dozen arrays.
public final class Prefilter: Sendable {
  /// One node of a flattened requirement.
  struct Node: Sendable {
    enum Kind: UInt8, Sendable { case literal, all, oneOf }
    var kind: Kind
    /// Literal: the id of its first ``keyLength`` bytes, and its index in `longLiterals` when
    /// it is longer (else -1). Otherwise the children's range in `children`.
    var a: Int32
    var b: Int32
  }

  /// Patterns the prefilter knows as numbers `0..<patternCount`.
  public let patternCount: Int
  /// Each pattern's requirement, by pattern number (for explanations and tests).
  public let requirements: [LiteralRequirement]
  /// Each pattern's requirement as clauses that must all hold, each satisfied by any one of
  /// its literals. Implied by the requirement (possibly weaker: see ``clauses(of:)``).
  public let clauses: [[[[UInt8]]]]
  let automaton: AhoCorasick
  /// Literal ids of the characters that caselessly match `k` and `s` (U+212A, U+017F).
  let specialLiterals: Range<Int>
  /// Patterns with no clause, ascending.
  let alwaysRun: [Int32]
  /// Where each literal id's users are, in one record so that a literal found costs one
  /// cache line: `uses[l.usesStart ..< l.usesEnd]` are the clauses it satisfies, and
  /// `directNodes[l.directStart ..< l.directEnd]` the direct nodes it makes true.
  struct LiteralUsers: Sendable {
    var usesStart: Int32
    var usesEnd: Int32
    var directStart: Int32
    var directEnd: Int32
  }
  /// A clause a literal satisfies: its pattern, its bit in the pattern's mask of satisfied
  /// clauses, and the mask with every clause satisfied. One 8-byte record, so counting a
  /// clause touches only it and the pattern's ``PrefilterScratch/PatternClauses``.
  struct Use: Sendable {
    var pattern: Int32
    var bit: UInt16
    var full: UInt16
  }
  let literalUsers: [LiteralUsers]
  let uses: [Use]
  /// The full requirements, flattened: checked once a pattern's clauses all hold, since the
  /// clauses may be weaker. Root node per pattern (-1: nothing beyond the clauses).
  let roots: [Int32]
  let nodes: [Node]
  let children: [Int32]
  /// ORs of short literals only, which the scan itself marks true (in `nodeGeneration`) when
  /// one of their literals occurs (see ``LiteralUsers``). `isDirect[n]` says whether node `n`
  /// is one.
  let directNodes: [Int32]
  let isDirect: [Bool]
  /// Literals of the full requirements longer than ``keyLength``: the automaton finds their
  /// first bytes, and the exact check looks for the rest in the text.
  let longLiterals: [[UInt8]]
  /// Literal ids a unit's match must start with: `leadingIds[leadingStart[u] ..<
  /// leadingStart[u + 1]]`, empty when unknown.
  let leadingStart: [Int32]
  let leadingIds: [Int32]

  /// Builds the prefilter for patterns given as (source, uses extended syntax).
  public convenience init(patterns: [(source: String, extended: Bool)]) {
    let reqs = patterns.map { LiteralExtractor.requirement(for: $0.source, extended: $0.extended) }
    self.init(requirements: reqs)
  }

  /// `leading[u]`, when given, lists strings (lower-case ASCII) one of which every match of
  /// unit `u` starts with (``LiteralExtractor/Analysis/leading``), for ``startBound(_:_:)``.
  public init(requirements reqs: [LiteralRequirement], leading: [[[UInt8]]?] = []) {
    patternCount = reqs.count
    requirements = reqs
    let clauseSets = reqs.map(Self.clauseSet(of:))
    let cnf = clauseSets.map(\.clauses)
    clauses = cnf
    var literalIds: [[UInt8]: Int32] = [:]
    var literals: [[UInt8]] = []
    var users: [[Use]] = []
    var always: [Int32] = []
    /// The id of a literal to scan for, new or known.
    func literalId(_ bytes: [UInt8]) -> Int32 {
      if let id = literalIds[bytes] { return id }
      let id = Int32(literals.count)
      literalIds[bytes] = id
      literals.append(bytes)
      users.append([])
      return id
    }
    // One bit per clause in `Use` (a constant, not an input).
    precondition(Self.maxClauses <= UInt16.bitWidth, "maxClauses must fit a UInt16 mask")
    for (p, cs) in cnf.enumerated() {
      if cs.isEmpty { always.append(Int32(p)) }
      let full = UInt16(truncatingIfNeeded: (1 << cs.count) - 1)
      for (k, clause) in cs.enumerated() {
        let use = Use(pattern: Int32(p), bit: UInt16(1) << UInt16(k), full: full)
        for lit in clause { users[Int(literalId(lit))].append(use) }
      }
    }
    // Literals of the full requirements that the clauses did not already mention are scanned
    // for too (a trimmed or dropped literal still decides the exact check).
    var nodes: [Node] = []
    var children: [Int32] = []
    var longLiterals: [[UInt8]] = []
    // Equal parts of different requirements (fragments shared by many patterns) become one
    // node, so a message evaluates each once (see `evaluate`).
    var known: [[Int32]: Int32] = [:]
    var longIds: [[UInt8]: Int32] = [:]
    func node(_ key: [Int32], _ make: () -> Node) -> Int32 {
      if let n = known[key] { return n }
      nodes.append(make())
      let n = Int32(nodes.count - 1)
      known[key] = n
      return n
    }
    func flatten(_ r: LiteralRequirement) -> Int32 {
      switch r {
      case .any:
        // Simplified requirements have no nested `.any`; treat one as a true leaf anyway.
        return node([-1]) { Node(kind: .all, a: 0, b: 0) }
      case .literal(let bytes):
        var long: Int32 = -1
        if bytes.count > Self.keyLength {
          long = longIds[bytes] ?? Int32(longLiterals.count)
          if long == longLiterals.count {
            longIds[bytes] = long
            longLiterals.append(bytes)
          }
        }
        let id = literalId(Array(bytes.prefix(Self.keyLength)))
        return node([-2, id, long]) { Node(kind: .literal, a: id, b: long) }
      case .all(let xs), .oneOf(let xs):
        let kids = xs.map(flatten)
        let kind: Node.Kind
        if case .all = r { kind = .all } else { kind = .oneOf }
        return node([kind == .all ? -3 : -4] + kids) {
          let start = Int32(children.count)
          children.append(contentsOf: kids)
          return Node(kind: kind, a: start, b: Int32(children.count))
        }
      }
    }
    var roots: [Int32] = []
    for (p, r) in reqs.enumerated() {
      // When the clauses say exactly what the requirement does, there is nothing more to
      // check (for the shipped bot, every pattern but a few).
      roots.append(clauseSets[p].exact ? -1 : flatten(r))
    }
    self.roots = roots
    self.nodes = nodes
    self.children = children
    var isDirect = [Bool](repeating: false, count: nodes.count)
    var directUsers: [Int: [Int32]] = [:]
    for (n, node) in nodes.enumerated() where node.kind == .oneOf {
      let kids = children[Int(node.a)..<Int(node.b)].map { nodes[Int($0)] }
      guard kids.allSatisfy({ $0.kind == .literal && $0.b < 0 }) else { continue }
      isDirect[n] = true
      for k in kids { directUsers[Int(k.a), default: []].append(Int32(n)) }
    }
    self.isDirect = isDirect
    self.longLiterals = longLiterals
    // Where each unit's match may start. Strings no clause uses are scanned for only for this
    // (a later start for PCRE2, a small gain), so they are the first to go when they would
    // take the automaton past 16-bit transitions: then only sets made of clause literals stay.
    let clauseLiteralCount = literals.count
    func leadingTable(clauseLiteralsOnly: Bool) -> (start: [Int32], ids: [Int32]) {
      var start: [Int32] = [0]
      var ids: [Int32] = []
      for u in 0..<reqs.count {
        if u < leading.count, let set = leading[u],
          !clauseLiteralsOnly || set.allSatisfy({ literalIds[$0] != nil })
        {
          for lit in set { ids.append(literalId(lit)) }
        }
        start.append(Int32(ids.count))
      }
      return (start, ids)
    }
    // U+212A KELVIN SIGN ~ k, U+017F LATIN SMALL LETTER LONG S ~ s (see `sawSpecial`).
    let specials: [[UInt8]] = [[0xE2, 0x84, 0xAA], [0xC5, 0xBF]]
    var table = leadingTable(clauseLiteralsOnly: false)
    if literals.count > clauseLiteralCount,
      AhoCorasick.stateCount(of: literals + specials) > AhoCorasick.compactStateLimit
    {
      literals.removeSubrange(clauseLiteralCount...)
      users.removeSubrange(clauseLiteralCount...)
      literalIds = literalIds.filter { $0.value < clauseLiteralCount }
      table = leadingTable(clauseLiteralsOnly: true)
    }
    self.leadingStart = table.start
    self.leadingIds = table.ids
    let firstSpecial = literals.count
    literals.append(contentsOf: specials)
    users.append(contentsOf: specials.map { _ in [] })
    specialLiterals = firstSpecial..<literals.count
    automaton = AhoCorasick(literals: literals)
    alwaysRun = always
    var records: [LiteralUsers] = []
    var flatUses: [Use] = []
    var dNodes: [Int32] = []
    for l in 0..<literals.count {
      let usesStart = Int32(flatUses.count)
      flatUses.append(contentsOf: users[l])
      let directStart = Int32(dNodes.count)
      dNodes.append(contentsOf: directUsers[l] ?? [])
      records.append(
        LiteralUsers(
          usesStart: usesStart, usesEnd: Int32(flatUses.count), directStart: directStart,
          directEnd: Int32(dNodes.count)))
    }
    literalUsers = records
    uses = flatUses
    directNodes = dNodes
  }

  /// How many patterns always run (no literal could be extracted).
  public var alwaysRunCount: Int { alwaysRun.count }
  /// Distinct literals scanned for.
  public var literalCount: Int { specialLiterals.lowerBound }
  /// States of the scanning automaton.
  public var automatonStates: Int { automaton.stateCount }

  /// The automaton looks for literals' first bytes only, so it stays small enough for the
  /// CPU cache; clauses use these prefixes (a weaker but still necessary condition) and the
  /// exact check verifies longer literals in the text.
  public static let keyLength = 32
  /// Most clauses kept per pattern (the most selective ones); at most 16, one bit each in
  /// ``Use``.
  static let maxClauses = 12
  /// Largest clause set an OR may multiply out to before it is weakened.
  static let maxProduct = 32

  /// A requirement in conjunctive normal form: clauses of literals, every clause containing
  /// at least one literal present in the text. Each clause is implied by the requirement, so
  /// dropping clauses (to stay small) keeps the condition necessary. Empty: always true.
  public static func clauses(of r: LiteralRequirement) -> [[[UInt8]]] {
    clauseSet(of: r).clauses
  }

  /// The clauses of ``clauses(of:)``, and whether they are exactly the requirement: true
  /// unless a literal was cut to ``keyLength`` bytes, an OR had too many combinations to
  /// multiply out, or clauses were dropped beyond ``maxClauses``. (Dropping a literal that
  /// contains another of its clause, or a clause another implies, loses nothing.)
  static func clauseSet(of r: LiteralRequirement) -> (clauses: [[[UInt8]]], exact: Bool) {
    var (out, exact) = cnf(r)
    // Most selective first: long shortest literal, then few literals.
    out.sort { a, b in
      let la = a.map(\.count).min() ?? 0
      let lb = b.map(\.count).min() ?? 0
      if la != lb { return la > lb }
      if a.count != b.count { return a.count < b.count }
      return a.lexicographicallyPrecedes(b) { $0.lexicographicallyPrecedes($1) }
    }
    if out.count > maxClauses { exact = false }
    return (Array(out.prefix(maxClauses)), exact)
  }

  private static func cnf(_ r: LiteralRequirement) -> (clauses: [[[UInt8]]], exact: Bool) {
    switch r {
    case .any:
      return ([], true)
    case .literal(let b):
      return ([simplify([Array(b.prefix(keyLength))])], b.count <= keyLength)
    case .all(let xs):
      var out: [[[UInt8]]] = []
      var exact = true
      for x in xs {
        let (cs, e) = cnf(x)
        exact = exact && e
        for c in cs where !out.contains(c) { out.append(c) }
      }
      return (removeSubsumed(out), exact)
    case .oneOf(let xs):
      let sets = xs.map(cnf)
      let parts = sets.map(\.clauses)
      // An alternative that needs nothing makes the whole OR need nothing: exactly true.
      if parts.contains(where: \.isEmpty) { return ([], true) }
      let exact = sets.allSatisfy(\.exact)
      var product = 1
      for p in parts {
        product *= p.count
        if product > maxProduct { break }
      }
      if product > maxProduct {
        // Too many combinations: one clause from each alternative, ORed together.
        let best = parts.map { clauses(ofCNF: $0)[0] }
        return ([simplify(best.flatMap { $0 })], false)
      }
      var out: [[[UInt8]]] = [[]]
      for p in parts {
        var next: [[[UInt8]]] = []
        for partial in out { for c in p { next.append(partial + c) } }
        out = next
      }
      return (removeSubsumed(out.map(simplify)), exact)
    }
  }

  private static func clauses(ofCNF cs: [[[UInt8]]]) -> [[[UInt8]]] {
    cs.sorted { a, b in
      let la = a.map(\.count).min() ?? 0
      let lb = b.map(\.count).min() ?? 0
      if la != lb { return la > lb }
      return a.count < b.count
    }
  }

  /// Sorts a clause's literals and drops any that contains another (if the shorter one is
  /// absent, so is the longer).
  private static func simplify(_ clause: [[UInt8]]) -> [[UInt8]] {
    let unique = Array(Set(clause)).sorted { a, b in
      a.count != b.count ? a.count < b.count : a.lexicographicallyPrecedes(b)
    }
    var out: [[UInt8]] = []
    for lit in unique where !out.contains(where: { contains(lit, $0) }) { out.append(lit) }
    return out.sorted { $0.lexicographicallyPrecedes($1) }
  }

  /// Drops clauses implied by another clause (a clause whose every literal also satisfies…).
  private static func removeSubsumed(_ cs: [[[UInt8]]]) -> [[[UInt8]]] {
    var out: [[[UInt8]]] = []
    for (i, c) in cs.enumerated() {
      // c is redundant when some other clause d is stronger: each literal of d contains a
      // literal of c (so d satisfied implies c satisfied).
      let redundant = cs.enumerated().contains { (j, d) in
        j != i && d != c && d.allSatisfy { dl in c.contains { contains(dl, $0) } }
      }
      if !redundant && !out.contains(c) { out.append(c) }
    }
    return out
  }

  static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= hay.count else { return false }
    if needle.isEmpty { return true }
    for i in 0...(hay.count - needle.count) {
      var k = 0
      while k < needle.count && hay[i + k] == needle[k] { k += 1 }
      if k == needle.count { return true }
    }
    return false
  }

  /// Finds the patterns that may match `text`: afterwards `scratch.survivors` lists them in
  /// ascending order and `scratch.mayMatch(p)` answers for any pattern.
  public func run(_ text: UnsafeBufferPointer<UInt8>, _ scratch: PrefilterScratch) {
    scratch.nextGeneration()
    let gen = scratch.generation
    let seen = scratch.literalSeen
    let satisfied = scratch.satisfied
    let patGen = scratch.patternGeneration
    let survivors = scratch.survivorBuffer
    let nodeGen = scratch.nodeGeneration
    var count = 0
    var special = false
    let specialLow = Int32(specialLiterals.lowerBound)
    directNodes.withUnsafeBufferPointer { dNodes in
      literalUsers.withUnsafeBufferPointer { lits in
        uses.withUnsafeBufferPointer { uses in
          automaton.scan(text) { id, end in
            if seen[id].generation == gen { return }
            seen[id] = PrefilterScratch.Seen(generation: gen, firstEnd: Int32(end))
            let users = lits[id]
            for j in Int(users.directStart)..<Int(users.directEnd) {
              nodeGen[Int(dNodes[j])] = gen
            }
            if Int32(id) >= specialLow { special = true }
            for j in Int(users.usesStart)..<Int(users.usesEnd) {
              let use = uses[j]
              let p = Int(use.pattern)
              var clauses = satisfied[p]
              if clauses.generation != gen { clauses = .init(generation: gen, mask: 0) }
              let mask = clauses.mask | use.bit
              if mask == clauses.mask { continue }  // the clause already held
              satisfied[p] = .init(generation: gen, mask: mask)
              if mask == use.full {
                // Every clause holds: a candidate (checked against the exact formula once the
                // scan is done, where the clauses are weaker).
                survivors[count] = Int32(p)
                count += 1
              }
            }
          }
        }
      }
    }
    scratch.sawSpecial = special
    if special {
      for p in 0..<patternCount {
        patGen[p] = gen
        survivors[p] = Int32(p)
      }
      scratch.survivorCount = patternCount
      return
    }
    var kept = 0
    for k in 0..<count {
      let p = Int(survivors[k])
      let root = Int(roots[p])
      if root < 0 || evaluate(root, text, scratch) {
        patGen[p] = gen
        survivors[kept] = Int32(p)
        kept += 1
      }
    }
    count = kept
    for p in alwaysRun {
      patGen[Int(p)] = gen
      survivors[count] = p
      count += 1
    }
    // Few survivors: insertion sort keeps declaration order without allocating.
    if count > 1 {
      for x in 1..<count {
        let v = survivors[x]
        var y = x - 1
        while y >= 0 && survivors[y] > v {
          survivors[y + 1] = survivors[y]
          y -= 1
        }
        survivors[y + 1] = v
      }
    }
    scratch.survivorCount = count
  }

  /// The first byte offset where unit `u`'s match may start in the message of the last
  /// `run`: the first occurrence of a string its matches start with (0 when unknown,
  /// `Int.max` when none occurs, so it cannot match).
  public func startBound(_ u: Int, _ scratch: PrefilterScratch) -> Int {
    let lo = Int(leadingStart[u])
    let hi = Int(leadingStart[u + 1])
    if lo == hi || scratch.sawSpecial { return 0 }
    var best = Int.max
    for j in lo..<hi {
      let id = Int(leadingIds[j])
      let seen = scratch.literalSeen[id]
      if seen.generation == scratch.generation {
        best = min(best, Int(seen.firstEnd) - automaton.literals[id].count)
      }
    }
    return best
  }

  private func evaluate(
    _ n: Int, _ text: UnsafeBufferPointer<UInt8>, _ scratch: PrefilterScratch
  ) -> Bool {
    let node = nodes[n]
    let gen = scratch.generation
    switch node.kind {
    case .literal:
      guard scratch.literalSeen[Int(node.a)].generation == gen else { return false }
      let long = Int(node.b)
      if long < 0 { return true }
      if scratch.longChecked[long] != gen {
        scratch.longChecked[long] = gen
        if Self.containsFolded(text, longLiterals[long]) { scratch.longFound[long] = gen }
      }
      return scratch.longFound[long] == gen
    case .all, .oneOf:
      if isDirect[n] { return scratch.nodeGeneration[n] == gen }
      if scratch.nodeGeneration[n] == gen { return scratch.nodeValue[n] }
      let all = node.kind == .all
      var value = all
      for c in Int(node.a)..<Int(node.b) where evaluate(Int(children[c]), text, scratch) != all {
        value = !all
        break
      }
      scratch.nodeGeneration[n] = gen
      scratch.nodeValue[n] = value
      return value
    }
  }

  /// Whether `text` contains `needle` (lower-case ASCII), ignoring ASCII case.
  static func containsFolded(_ text: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
    let n = needle.count
    guard n > 0, n <= text.count, let t = text.baseAddress else { return n == 0 }
    return needle.withUnsafeBufferPointer { nb in
      let first = nb[0]
      for i in 0...(text.count - n) where AhoCorasick.fold(t[i]) == first {
        var k = 1
        while k < n && AhoCorasick.fold(t[i + k]) == nb[k] { k += 1 }
        if k == n { return true }
      }
      return false
    }
  }
}

/// The prefilter's per-message bookkeeping, reused across messages (one per thread).
/// Generation counters mean nothing is cleared between messages.
public final class PrefilterScratch {
  /// Whether a literal occurs in the current message (`generation` is the scratch's) and
  /// the end offset of its first occurrence.
  struct Seen {
    var generation: UInt32
    var firstEnd: Int32
  }
  /// Which of a pattern's clauses the current message satisfies (`mask`, meaningful when
  /// `generation` is the scratch's).
  struct PatternClauses {
    var generation: UInt32
    var mask: UInt16
  }
  fileprivate(set) var generation: UInt32 = 0
  let literalSeen: UnsafeMutablePointer<Seen>
  let satisfied: UnsafeMutablePointer<PatternClauses>
  let patternGeneration: UnsafeMutablePointer<UInt32>
  let survivorBuffer: UnsafeMutablePointer<Int32>
  /// The message contains a character that matches `k` or `s` caselessly: positions of ASCII
  /// literals say nothing then.
  fileprivate(set) var sawSpecial = false
  let longChecked: UnsafeMutablePointer<UInt32>
  let longFound: UnsafeMutablePointer<UInt32>
  /// Requirement nodes already evaluated for this message (`nodeGeneration[n] == generation`)
  /// and their value.
  let nodeGeneration: UnsafeMutablePointer<UInt32>
  let nodeValue: UnsafeMutablePointer<Bool>
  private let nodeCapacity: Int
  fileprivate(set) var survivorCount = 0
  private let longCapacity: Int
  private let literalCapacity: Int
  private let patternCapacity: Int

  public init(for prefilter: Prefilter) {
    literalCapacity = max(prefilter.automaton.literals.count, 1)
    patternCapacity = max(prefilter.patternCount, 1)
    literalSeen = .allocate(capacity: literalCapacity)
    satisfied = .allocate(capacity: patternCapacity)
    patternGeneration = .allocate(capacity: patternCapacity)
    survivorBuffer = .allocate(capacity: patternCapacity)
    longCapacity = max(prefilter.longLiterals.count, 1)
    longChecked = .allocate(capacity: longCapacity)
    longFound = .allocate(capacity: longCapacity)
    nodeCapacity = max(prefilter.nodes.count, 1)
    nodeGeneration = .allocate(capacity: nodeCapacity)
    nodeValue = .allocate(capacity: nodeCapacity)
    nodeValue.initialize(repeating: false, count: nodeCapacity)
    clear()
    survivorBuffer.initialize(repeating: 0, count: patternCapacity)
  }

  deinit {
    literalSeen.deallocate()
    satisfied.deallocate()
    patternGeneration.deallocate()
    survivorBuffer.deallocate()
    longChecked.deallocate()
    longFound.deallocate()
    nodeGeneration.deallocate()
    nodeValue.deallocate()
  }

  private func clear() {
    literalSeen.initialize(repeating: Seen(generation: 0, firstEnd: 0), count: literalCapacity)
    satisfied.initialize(
      repeating: PatternClauses(generation: 0, mask: 0), count: patternCapacity)
    patternGeneration.initialize(repeating: 0, count: patternCapacity)
    longChecked.initialize(repeating: 0, count: longCapacity)
    longFound.initialize(repeating: 0, count: longCapacity)
    nodeGeneration.initialize(repeating: 0, count: nodeCapacity)
  }

  fileprivate func nextGeneration() {
    if generation == UInt32.max {
      clear()
      generation = 0
    }
    generation += 1
  }

  /// Whether pattern `p` survived the last run.
  @inline(__always) public func mayMatch(_ p: Int) -> Bool { patternGeneration[p] == generation }

  /// The surviving patterns of the last run, ascending.
  public var survivors: UnsafeBufferPointer<Int32> {
    UnsafeBufferPointer(start: survivorBuffer, count: survivorCount)
  }
}
