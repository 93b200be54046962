/// Decides, for one normalised message, which patterns could possibly match it, so the
/// matcher runs PCRE2 only on those.
///
/// Each pattern gets a ``LiteralRequirement`` from ``LiteralExtractor``; all their literals go
/// into one ``AhoCorasick`` automaton. A message is scanned once; a pattern survives when its
/// requirement holds for the literals found, or when it has no requirement ("always run").
/// Skipping a pattern is only ever done when it provably cannot match, so results equal the
/// naive loop's.
///
/// Immutable and shareable; the per-message bookkeeping lives in a ``PrefilterScratch``.
public struct Prefilter: Sendable {
  /// One node of a flattened requirement.
  struct Node: Sendable {
    enum Kind: UInt8, Sendable { case literal, all, oneOf }
    var kind: Kind
    /// Literal id, or the children's range in `children`.
    var a: Int32
    var b: Int32
  }

  /// Patterns the prefilter knows as numbers `0..<patternCount`.
  public let patternCount: Int
  /// Each pattern's requirement, by pattern number (for explanations and tests).
  public let requirements: [LiteralRequirement]
  let automaton: AhoCorasick
  /// Literal ids of the characters that caselessly match `k` and `s` (U+212A, U+017F).
  let specialLiterals: Range<Int>
  /// Patterns with no requirement, ascending.
  let alwaysRun: [Int32]
  /// Root node of each pattern's requirement (-1 for always-run patterns).
  let roots: [Int32]
  let nodes: [Node]
  let children: [Int32]
  /// For each literal id, the patterns whose requirements mention it:
  /// `literalPatterns[literalStart[l] ..< literalStart[l + 1]]`.
  let literalStart: [Int32]
  let literalPatterns: [Int32]

  /// Builds the prefilter for patterns given as (source, uses extended syntax).
  public init(patterns: [(source: String, extended: Bool)]) {
    let reqs = patterns.map { LiteralExtractor.requirement(for: $0.source, extended: $0.extended) }
    self.init(requirements: reqs)
  }

  public init(requirements reqs: [LiteralRequirement]) {
    patternCount = reqs.count
    requirements = reqs
    var literalIds: [[UInt8]: Int32] = [:]
    var literals: [[UInt8]] = []
    var users: [[Int32]] = []
    var nodes: [Node] = []
    var children: [Int32] = []
    var roots: [Int32] = []
    var always: [Int32] = []

    func literalId(_ bytes: [UInt8]) -> Int32 {
      if let id = literalIds[bytes] { return id }
      let id = Int32(literals.count)
      literalIds[bytes] = id
      literals.append(bytes)
      users.append([])
      return id
    }
    func flatten(_ r: LiteralRequirement, pattern: Int32) -> Int32 {
      switch r {
      case .any:
        preconditionFailure("simplified requirements have no nested .any")
      case .literal(let bytes):
        let id = literalId(bytes)
        if users[Int(id)].last != pattern { users[Int(id)].append(pattern) }
        nodes.append(Node(kind: .literal, a: id, b: 0))
        return Int32(nodes.count - 1)
      case .all(let xs), .oneOf(let xs):
        let kids = xs.map { flatten($0, pattern: pattern) }
        let start = Int32(children.count)
        children.append(contentsOf: kids)
        let kind: Node.Kind
        if case .all = r { kind = .all } else { kind = .oneOf }
        nodes.append(Node(kind: kind, a: start, b: Int32(children.count)))
        return Int32(nodes.count - 1)
      }
    }
    for (p, r) in reqs.enumerated() {
      if r == .any {
        always.append(Int32(p))
        roots.append(-1)
      } else {
        roots.append(flatten(r, pattern: Int32(p)))
      }
    }
    let firstSpecial = literals.count
    literals.append([0xE2, 0x84, 0xAA])  // U+212A KELVIN SIGN ~ k
    literals.append([0xC5, 0xBF])  // U+017F LATIN SMALL LETTER LONG S ~ s
    users.append([])
    users.append([])
    specialLiterals = firstSpecial..<literals.count

    automaton = AhoCorasick(literals: literals)
    alwaysRun = always
    self.roots = roots
    self.nodes = nodes
    self.children = children
    var start: [Int32] = [0]
    var flat: [Int32] = []
    for u in users {
      flat.append(contentsOf: u)
      start.append(Int32(flat.count))
    }
    literalStart = start
    literalPatterns = flat
  }

  /// How many patterns always run (no literal could be extracted).
  public var alwaysRunCount: Int { alwaysRun.count }
  /// Distinct literals scanned for.
  public var literalCount: Int { specialLiterals.lowerBound }

  /// Finds the patterns that may match `text`: afterwards `scratch.survivors` lists them in
  /// ascending order and `scratch.mayMatch(p)` answers for any pattern.
  public func run(_ text: UnsafeBufferPointer<UInt8>, _ scratch: PrefilterScratch) {
    scratch.nextGeneration()
    let gen = scratch.generation
    let litGen = scratch.literalGeneration
    let patGen = scratch.patternGeneration
    var foundCount = 0
    let found = scratch.found
    var special = false
    let specialLow = specialLiterals.lowerBound
    automaton.scan(text) { id in
      if litGen[id] != gen {
        litGen[id] = gen
        if id >= specialLow { special = true }
        found[foundCount] = Int32(id)
        foundCount += 1
      }
    }
    let survivors = scratch.survivorBuffer
    var count = 0
    if special {
      for p in 0..<patternCount {
        patGen[p] = gen
        survivors[p] = Int32(p)
      }
      scratch.survivorCount = patternCount
      return
    }
    for p in alwaysRun {
      patGen[Int(p)] = gen
      survivors[count] = p
      count += 1
    }
    let touched = scratch.touched
    for k in 0..<foundCount {
      let l = Int(found[k])
      for j in Int(literalStart[l])..<Int(literalStart[l + 1]) {
        let p = Int(literalPatterns[j])
        // Evaluate each touched pattern once; `touched` marks it for this generation.
        if touched[p] == gen { continue }
        touched[p] = gen
        if evaluate(Int(roots[p]), litGen, gen) {
          patGen[p] = gen
          survivors[count] = Int32(p)
          count += 1
        }
      }
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

  private func evaluate(_ n: Int, _ litGen: UnsafeMutablePointer<UInt32>, _ gen: UInt32)
    -> Bool
  {
    let node = nodes[n]
    switch node.kind {
    case .literal:
      return litGen[Int(node.a)] == gen
    case .all:
      for c in Int(node.a)..<Int(node.b) where !evaluate(Int(children[c]), litGen, gen) {
        return false
      }
      return true
    case .oneOf:
      for c in Int(node.a)..<Int(node.b) where evaluate(Int(children[c]), litGen, gen) {
        return true
      }
      return false
    }
  }
}

/// The prefilter's per-message bookkeeping, reused across messages (one per thread).
/// Generation counters mean nothing is cleared between messages.
public final class PrefilterScratch {
  fileprivate(set) var generation: UInt32 = 0
  let literalGeneration: UnsafeMutablePointer<UInt32>
  let patternGeneration: UnsafeMutablePointer<UInt32>
  let touched: UnsafeMutablePointer<UInt32>
  let found: UnsafeMutablePointer<Int32>
  let survivorBuffer: UnsafeMutablePointer<Int32>
  fileprivate(set) var survivorCount = 0
  private let literalCapacity: Int
  private let patternCapacity: Int

  public init(for prefilter: Prefilter) {
    literalCapacity = max(prefilter.automaton.literals.count, 1)
    patternCapacity = max(prefilter.patternCount, 1)
    literalGeneration = .allocate(capacity: literalCapacity)
    literalGeneration.initialize(repeating: 0, count: literalCapacity)
    found = .allocate(capacity: literalCapacity)
    found.initialize(repeating: 0, count: literalCapacity)
    patternGeneration = .allocate(capacity: patternCapacity)
    patternGeneration.initialize(repeating: 0, count: patternCapacity)
    touched = .allocate(capacity: patternCapacity)
    touched.initialize(repeating: 0, count: patternCapacity)
    survivorBuffer = .allocate(capacity: patternCapacity)
    survivorBuffer.initialize(repeating: 0, count: patternCapacity)
  }

  deinit {
    literalGeneration.deallocate()
    found.deallocate()
    patternGeneration.deallocate()
    touched.deallocate()
    survivorBuffer.deallocate()
  }

  fileprivate func nextGeneration() {
    if generation == UInt32.max {
      literalGeneration.update(repeating: 0, count: literalCapacity)
      patternGeneration.update(repeating: 0, count: patternCapacity)
      touched.update(repeating: 0, count: patternCapacity)
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
