import PCRE2

/// One pattern of an intent that matched, and where.
public struct PatternHit: Sendable, Hashable {
  /// Index into the intent's `patterns` (or `exclusions`).
  public let index: Int
  /// The pattern as the author wrote it (fragments not expanded), for explanations.
  public let source: String
  public let location: SourceLocation
  /// UTF-8 byte range in the normalised text.
  public let span: Range<Int>
  /// The matched text.
  public let text: String
}

/// An intent that matched the message, with everything that decides its rank.
public struct Candidate: Sendable {
  public let intent: String
  public let priority: Int
  /// Whether the current state expects this intent (it then outranks the rest).
  public let expected: Bool
  /// Declaration order, the last tie-break.
  public let order: Int
  /// The pattern that decides the intent's specificity: the longest match, first on ties.
  public let best: PatternHit
  /// Every pattern of the intent that matched.
  public let hits: [PatternHit]
  /// The exclusion pattern that vetoed the intent, if any.
  public let excludedBy: PatternHit?
  /// Named captures of the best pattern.
  public let captures: [String: String]

  /// Specificity: bytes matched by the best pattern.
  public var specificity: Int { best.span.count }
}

/// The matcher's verdict on one message, with its reasons.
public struct Classification: Sendable {
  public let normalized: String
  /// Candidates in rank order; vetoed ones follow, in declaration order.
  public let candidates: [Candidate]
  /// Patterns that hit a match limit (treated as not matching).
  public let limitErrors: [String]
  /// Whether `candidates` ranks every intent that matched (``Ranking/full``), or only those
  /// that could still win (``Ranking/winner``).
  public let isComplete: Bool

  init(
    normalized: String, candidates: [Candidate], limitErrors: [String], isComplete: Bool = true
  ) {
    self.normalized = normalized
    self.candidates = candidates
    self.limitErrors = limitErrors
    self.isComplete = isComplete
  }

  /// Why the winner beat the runner-up (or why nothing matched). Worked out when asked.
  public var reason: String {
    let live = candidates.prefix { $0.excludedBy == nil }
    if !isComplete && live.count == 1, let w = live.first {
      return "\(w.intent) is the only intent of its rank that matched (lower ranks not tried)"
    }
    return Matcher.reason(live)
  }

  /// The first candidate unless it was vetoed (then every candidate was). Not stored: the
  /// classification travels in every turn's trace, and a stored copy would more than double
  /// the bytes each move of it copies.
  public var winner: Candidate? {
    guard let first = candidates.first, first.excludedBy == nil else { return nil }
    return first
  }

  public var intent: String? { winner?.intent }
  public var entities: [String: String] { winner?.captures ?? [:] }
}

/// How much of the ranking ``Matcher/classify(_:expected:ranking:)`` works out.
public enum Ranking: Sendable {
  /// Every intent that matches, ranked, with its hits: what explanations show.
  case full
  /// Only what decides the winner: intents are tried from the highest rank class (expected
  /// by the state, then priority) down, and classes below the first one with a live match
  /// are skipped, since nothing in them can win. The winner, its hits and entities are the
  /// same as with ``full``; `candidates` holds the classes tried.
  case winner
}

/// Classifies messages against a bot's intents. Owns the match scratch space, so use one per
/// thread; the compiled bot itself is shared.
///
/// A ``Prefilter`` decides which patterns could match a message, and only those run; the
/// result is exactly what running every pattern would give (`prefilter: false` does that, as a
/// baseline). Normalising, prefiltering and matching reuse per-matcher buffers, so a message
/// allocates only for what the returned ``Classification`` holds.
public final class Matcher {
  public let bot: Bot
  private let scratch: MatchScratch
  /// The units and prefilter (nil: every pattern runs on every message, either because the
  /// prefilter is off or because it is still being built in the background). Read through
  /// ``currentIndex()``.
  ///
  /// A pattern whose top-level branches can be matched one at a time
  /// (``LiteralExtractor/topLevelBranches(of:extended:)``) is one unit per branch, so only
  /// the branches whose literals occur run; any other pattern is one unit.
  private var index: MatcherIndex?
  /// The background build to adopt the index from once it is ready.
  private let pending: MatcherIndexBuild?
  /// The index built in the initialiser, if it was: with `pending`, what ``copy()`` shares.
  /// Both are constants, so another thread may copy a matcher that is in use.
  private let initialIndex: MatcherIndex?
  private var prefilterScratch: PrefilterScratch?
  private let normalizerScratch = NormalizerScratch()
  /// Group ranges of the current intent's best hit (see `saveGroups`).
  private var savedGroups: [Range<Int>?] = []
  /// Pattern numbers: intent `i`'s patterns are `patternBase[i] ..< exclusionBase[i]`, its
  /// exclusions `exclusionBase[i] ..< patternBase[i + 1]`.
  private let patternBase: [Int]
  private let exclusionBase: [Int]
  /// Every pattern and exclusion, compiled, by pattern number.
  private let compiled: [Pattern]
  /// The unit whose match `run` returned last, and the unit PCRE2 ran last (whose groups are
  /// in the scratch); -1 for a whole pattern run without the index.
  private var winningUnit = -1
  private var lastRunUnit = -1
  /// The intents that may match the current message, in declaration order.
  private let intentList: IntentList
  /// Per intent, what ranking needs (read without copying the intents).
  private let intentIDs: [String]
  /// Clamped so that the expected flag (bit 40) outweighs any priority in the sort key.
  private let intentPriority: [Int]
  private let intentContextual: [Bool]

  /// The prefilter, when it is in use (see ``waitForPrefilter()``).
  public var prefilter: Prefilter? { currentIndex()?.prefilter }

  /// A matcher for `bot`. With `prefilter: false` every pattern runs on every message (the
  /// naive baseline). With `buildInBackground: true` the prefilter is built on another thread
  /// and the matcher runs every pattern until it is ready, in PCRE2's interpreter so that
  /// nothing is JIT-compiled for the first messages: the first answer comes sooner and every
  /// answer is the same (only a match limit, which the interpreter counts differently, could
  /// be reached in one and not the other).
  public convenience init(
    bot: Bot, limits: MatchLimits = .default, prefilter: Bool = true,
    buildInBackground: Bool = false
  ) {
    var pending: MatcherIndexBuild? = nil
    var index: MatcherIndex? = nil
    if prefilter {
      if buildInBackground {
        pending = MatcherIndexBuild(bot: bot)
      } else {
        index = MatcherIndex(bot: bot)
      }
    }
    self.init(bot: bot, limits: limits, index: index, pending: pending)
  }

  private init(bot: Bot, limits: MatchLimits, index: MatcherIndex?, pending: MatcherIndexBuild?) {
    self.bot = bot
    self.index = index
    self.initialIndex = index
    self.pending = index == nil ? pending : nil
    self.prefilterScratch = index.map { PrefilterScratch(for: $0.prefilter) }
    var patternBase: [Int] = []
    var exclusionBase: [Int] = []
    var number = 0
    var groups = 0
    for intent in bot.intents {
      patternBase.append(number)
      number += intent.patterns.count
      exclusionBase.append(number)
      number += intent.exclusions.count
      for p in intent.patterns + intent.exclusions { groups = max(groups, p.compiled.captureCount) }
    }
    patternBase.append(number)
    self.patternBase = patternBase
    self.compiled = bot.intents.flatMap {
      $0.patterns.map(\.compiled) + $0.exclusions.map(\.compiled)
    }
    self.exclusionBase = exclusionBase
    self.scratch = MatchScratch(limits: limits, groups: groups)
    self.intentList = IntentList(intents: bot.intents.count)
    self.intentIDs = bot.intents.map(\.id)
    self.intentPriority = bot.intents.map { min(max($0.priority, -(1 << 39)), 1 << 39) }
    self.intentContextual = bot.intents.map(\.contextual)
  }

  /// Another matcher for the same bot and limits, with scratch space of its own (for another
  /// thread), sharing this one's prefilter or its build in progress. Reads only constants, so
  /// it may be called on another thread while this matcher is in use.
  public func copy() -> Matcher {
    Matcher(bot: bot, limits: scratch.limits, index: initialIndex, pending: pending)
  }

  /// Waits until the prefilter built in the background is in use (at once when it was built
  /// in the initialiser or is off).
  public func waitForPrefilter() {
    if index == nil, let pending { adopt(pending.wait()) }
  }

  /// The index, adopting the background build's when it has become ready.
  @inline(__always)
  private func currentIndex() -> MatcherIndex? {
    if index == nil, let pending, let built = pending.index { adopt(built) }
    return index
  }

  private func adopt(_ built: MatcherIndex) {
    index = built
    prefilterScratch = PrefilterScratch(for: built.prefilter)
  }

  /// Ranks every intent against `text`. Contextual intents count only if in `expected`.
  public func classify(
    _ text: String, expected: Set<String> = [], ranking: Ranking = .full
  ) -> Classification {
    let buf = bot.normalizer.normalize(text, scratch: normalizerScratch)
    return rank(buf, String(decoding: buf, as: UTF8.self), expected, ranking)
  }

  /// Ranks every intent against `text`, which the bot's normaliser has already normalised
  /// (as ``Engine/redact(_:)`` returns it): the same result as ``classify(_:expected:)``
  /// without normalising a second time.
  public func classify(
    normalized text: String, expected: Set<String> = [], ranking: Ranking = .full
  ) -> Classification {
    var text = text
    text.makeContiguousUTF8()
    return text.utf8.withContiguousStorageIfAvailable { rank($0, text, expected, ranking) }
      ?? classify(text, expected: expected, ranking: ranking)
  }

  private func rank(
    _ buf: UnsafeBufferPointer<UInt8>, _ normalized: String, _ expected: Set<String>,
    _ ranking: Ranking
  ) -> Classification {
    var limitErrors: [String] = []
    var live: [Candidate] = []
    var vetoed: [Candidate] = []
    let pfs = listIntents(buf)
    // Rank classes, best first: expected by the state, then priority; declaration order
    // within a class. Contextual intents count only when expected.
    var order: [(key: Int, intent: Int, expected: Bool)] = []
    order.reserveCapacity(intentList.count)
    for i32 in intentList.elements {
      let i = Int(i32)
      let isExpected = !expected.isEmpty && expected.contains(intentIDs[i])
      if intentContextual[i] && !isExpected { continue }
      order.append(((isExpected ? 1 << 40 : 0) &+ intentPriority[i], i, isExpected))
    }
    if order.count > 1 {
      order.sort { $0.key != $1.key ? $0.key > $1.key : $0.intent < $1.intent }
    }
    var complete = true
    var k = 0
    while k < order.count {
      var end = k + 1
      while end < order.count && order[end].key == order[k].key { end += 1 }
      let liveBefore = live.count
      for j in k..<end {
        consider(order[j].intent, order[j].expected, buf, pfs, &live, &vetoed, &limitErrors)
      }
      k = end
      if ranking == .winner && live.count > liveBefore && k < order.count {
        complete = false
        break
      }
    }
    if live.count > 1 { live.sort(by: Self.outranks) }
    if !vetoed.isEmpty {
      vetoed.sort { $0.order < $1.order }
      live.append(contentsOf: vetoed)
    }
    return Classification(
      normalized: normalized, candidates: live, limitErrors: limitErrors, isComplete: complete)
  }

  /// Lists in `intentList` the intents that may match `buf`, in declaration order (those with a
  /// pattern that passes the prefilter). Returns the prefilter's scratch when it ran.
  private func listIntents(_ buf: UnsafeBufferPointer<UInt8>) -> PrefilterScratch? {
    intentList.removeAll()
    if let index = currentIndex(), let pfs = prefilterScratch {
      index.prefilter.run(buf, pfs)
      for u in pfs.survivors {
        let i = Int(index.intentOfUnit[Int(u)])
        if Int(index.patternOfUnit[Int(u)]) >= exclusionBase[i] { continue }
        intentList.insert(i)
      }
      return pfs
    }
    for i in bot.intents.indices { intentList.insert(i) }
    return nil
  }

  /// Normalises `text` and runs the prefilter, nothing more: how many units (patterns or
  /// branches) would run. For benchmarks, to separate the cost before PCRE2.
  public func patternsToRun(_ text: String) -> Int {
    let buf = bot.normalizer.normalize(text, scratch: normalizerScratch)
    guard let index = currentIndex(), let pfs = prefilterScratch else {
      return patternBase.last ?? 0
    }
    index.prefilter.run(buf, pfs)
    return pfs.survivors.count
  }

  /// Runs intent `i`'s patterns (those the prefilter lets through) and records a candidate.
  @inline(__always)
  private func consider(
    _ i: Int, _ isExpected: Bool, _ buf: UnsafeBufferPointer<UInt8>,
    _ pfs: PrefilterScratch?, _ live: inout [Candidate], _ vetoed: inout [Candidate],
    _ limitErrors: inout [String]
  ) {
    // Patterns are read by number from `compiled`; the intent and its patterns are copied
    // only for what matched.
    var hits: [PatternHit] = []
    var number = patternBase[i]
    let patternEnd = exclusionBase[i]
    var bestIndex = -1
    var bestPattern: Pattern? = nil
    while number < patternEnd {
      defer { number += 1 }
      if let pfs, !mayRun(number, pfs) { continue }
      let compiled = self.compiled[number]
      if let span = run(compiled, number, buf, pfs, &limitErrors, intent: i) {
        let k = number - patternBase[i]
        hits.append(hit(k, bot.intents[i].patterns[k], span, buf))
        // The best hit is the longest, the first on ties; keep its groups while they are in
        // the scratch, so captures need no second match.
        if bestIndex < 0 || span.count > hits[bestIndex].span.count {
          bestIndex = hits.count - 1
          bestPattern = compiled
          saveGroups(compiled, buf)
        }
      }
    }
    guard bestIndex >= 0, let bestPattern else { return }
    let best = hits[bestIndex]
    var veto: PatternHit? = nil
    number = patternEnd
    while number < patternBase[i + 1] {
      defer { number += 1 }
      if let pfs, !mayRun(number, pfs) { continue }
      if let span = run(compiled[number], number, buf, pfs, &limitErrors, intent: i) {
        let k = number - patternEnd
        veto = hit(k, bot.intents[i].exclusions[k], span, buf)
        break
      }
    }
    let captures = veto == nil ? savedCaptures(bestPattern, buf) : [:]
    let intent = bot.intents[i]
    let c = Candidate(
      intent: intent.id, priority: intent.priority, expected: isExpected, order: intent.order,
      best: best, hits: hits, excludedBy: veto, captures: captures)
    if veto == nil { live.append(c) } else { vetoed.append(c) }
  }

  /// The ranking rule: expected by the state, then priority, then longer match, then
  /// declaration order.
  public static func outranks(_ a: Candidate, _ b: Candidate) -> Bool {
    if a.expected != b.expected { return a.expected }
    if a.priority != b.priority { return a.priority > b.priority }
    if a.specificity != b.specificity { return a.specificity > b.specificity }
    return a.order < b.order
  }

  static func reason(_ ranked: ArraySlice<Candidate>) -> String {
    guard let w = ranked.first else { return "no pattern matched: fallback" }
    guard ranked.count > 1 else { return "\(w.intent) is the only intent that matched" }
    let r = ranked[ranked.startIndex + 1]
    if w.expected != r.expected {
      return "\(w.intent) is expected by the current state; \(r.intent) is not"
    }
    if w.priority != r.priority {
      return "\(w.intent) has higher priority than \(r.intent) (\(w.priority) > \(r.priority))"
    }
    if w.specificity != r.specificity {
      return
        "\(w.intent) matched more text than \(r.intent) (\(w.specificity) > \(r.specificity) bytes)"
    }
    return "\(w.intent) ties with \(r.intent) and is declared first"
  }

  /// Where unit `u`'s match may start at the earliest (see ``Prefilter/startBound(_:_:)``).
  @inline(__always)
  private func startBound(_ u: Int, _ pfs: PrefilterScratch) -> Int {
    index?.prefilter.startBound(u, pfs) ?? 0
  }

  /// Whether any unit of pattern `number` survived the prefilter.
  @inline(__always)
  private func mayRun(_ number: Int, _ pfs: PrefilterScratch) -> Bool {
    guard let index else { return true }
    for u in index.unitStart[number]..<index.unitStart[number + 1] where pfs.mayMatch(u) {
      return true
    }
    return false
  }

  /// The leftmost match of pattern `number` (`p`), running only units the prefilter let
  /// through. A split pattern's match is its branches' match that starts first, the earliest
  /// branch on ties — what PCRE2 finds for the whole alternation.
  private func run(
    _ p: Pattern, _ number: Int, _ buf: UnsafeBufferPointer<UInt8>,
    _ pfs: PrefilterScratch?, _ errors: inout [String], intent i: Int
  ) -> Range<Int>? {
    do {
      guard let index, let pfs else {
        winningUnit = -1
        lastRunUnit = -1
        // Before a background-built index is ready (the first messages after start-up), the
        // interpreter runs the patterns: JIT-compiling all of them would delay the first
        // answers by more than it saves.
        return try p.firstMatch(in: buf, from: 0, scratch: scratch, jit: pending == nil)
      }
      let first = index.unitStart[number]
      guard let _ = index.branches[first] else {
        if !pfs.mayMatch(first) { return nil }
        let from = startBound(first, pfs)
        if from > buf.count { return nil }
        winningUnit = first
        lastRunUnit = first
        return try p.firstMatch(in: buf, from: from, scratch: scratch)
      }
      var best: Range<Int>? = nil
      for u in first..<index.unitStart[number + 1] {
        if !pfs.mayMatch(u) { continue }
        let from = startBound(u, pfs)
        if from > buf.count { continue }
        guard let branch = index.branches[u] else { continue }
        lastRunUnit = u
        guard let r = try branch.firstMatch(in: buf, from: from, scratch: scratch) else {
          continue
        }
        if best == nil || r.lowerBound < best?.lowerBound ?? 0 {
          best = r
          winningUnit = u
          if r.lowerBound == 0 { break }
        }
      }
      return best
    } catch {
      let intent = bot.intents[i]
      let location =
        number < exclusionBase[i]
        ? intent.patterns[number - patternBase[i]].location
        : intent.exclusions[number - exclusionBase[i]].location
      errors.append(
        "\(location): \(intent.id): \(error.kind.rawValue) reached; treated as no match")
      return nil
    }
  }

  private func hit(
    _ i: Int, _ p: IntentPattern, _ span: Range<Int>, _ buf: UnsafeBufferPointer<UInt8>
  ) -> PatternHit {
    PatternHit(
      index: i, source: p.written, location: p.location, span: span,
      text: String(decoding: UnsafeBufferPointer(rebasing: buf[span]), as: UTF8.self))
  }

  /// Copies the named groups' ranges of the match `run` just returned for `p`.
  private func saveGroups(_ p: Pattern, _ buf: UnsafeBufferPointer<UInt8>) {
    let groups = p.namedGroups
    if groups.isEmpty { return }
    if savedGroups.count < groups.count {
      savedGroups = [Range<Int>?](repeating: nil, count: groups.count)
    }
    guard winningUnit >= 0, let index, let branch = index.branches[winningUnit] else {
      for (k, g) in groups.enumerated() { savedGroups[k] = scratch.range(ofGroup: g.number) }
      return
    }
    // A later branch ran after the winner: match the winner again for its groups.
    if lastRunUnit != winningUnit {
      let from = prefilterScratch.map { startBound(winningUnit, $0) } ?? 0
      _ = try? branch.firstMatch(in: buf, from: from, scratch: scratch)
      lastRunUnit = winningUnit
    }
    for (k, g) in groups.enumerated() {
      savedGroups[k] = branch.groupNumber(named: g.name).flatMap { scratch.range(ofGroup: $0) }
    }
  }

  /// Named captures of the best pattern's match, from ``saveGroups(_:)``.
  private func savedCaptures(_ p: Pattern, _ buf: UnsafeBufferPointer<UInt8>) -> [String: String] {
    let groups = p.namedGroups
    if groups.isEmpty { return [:] }
    var out: [String: String] = [:]
    for (k, g) in groups.enumerated() {
      if let r = savedGroups[k] {
        out[g.name] = String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self)
      }
    }
    return out
  }
}

/// The intents that may match the current message, in the order listed, each once. Kept in
/// raw memory: written for every pattern that passes the prefilter, and a class's stored
/// arrays and counters would pay a dynamic exclusivity check on each of those writes.
private final class IntentList {
  private struct State {
    /// Intent `i` is listed when `seen[i] == generation`.
    var generation: UInt32
    var count: Int
  }
  private let seen: UnsafeMutablePointer<UInt32>
  private let items: UnsafeMutablePointer<Int32>
  private let state: UnsafeMutablePointer<State>
  private let capacity: Int

  init(intents: Int) {
    capacity = max(intents, 1)
    seen = .allocate(capacity: capacity)
    seen.initialize(repeating: 0, count: capacity)
    items = .allocate(capacity: capacity)
    items.initialize(repeating: 0, count: capacity)
    state = .allocate(capacity: 1)
    state.initialize(to: State(generation: 1, count: 0))
  }

  deinit {
    seen.deallocate()
    items.deallocate()
    state.deallocate()
  }

  /// Empties the list (in constant time: a new generation).
  func removeAll() {
    state.pointee.count = 0
    state.pointee.generation &+= 1
    if state.pointee.generation == 0 {
      seen.update(repeating: 0, count: capacity)
      state.pointee.generation = 1
    }
  }

  /// Appends intent `i` (below the count given at `init`) unless it is listed already.
  @inline(__always) func insert(_ i: Int) {
    let generation = state.pointee.generation
    if seen[i] == generation { return }
    seen[i] = generation
    items[state.pointee.count] = Int32(i)
    state.pointee.count += 1
  }

  var count: Int { state.pointee.count }
  var elements: UnsafeBufferPointer<Int32> {
    UnsafeBufferPointer(start: items, count: state.pointee.count)
  }
}
