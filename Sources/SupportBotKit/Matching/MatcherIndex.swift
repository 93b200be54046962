import Foundation
import PCRE2

/// What a ``Matcher`` works out from a bot's patterns so that a message runs only the patterns
/// that could match it: each pattern's *units* (the pattern, or its top-level branches when
/// they can be matched one at a time), what literals each unit needs, and the ``Prefilter``
/// over all of them.
///
/// Immutable and shared by every matcher of the bot. Building it is most of a matcher's
/// start-up cost (reading every pattern, building the automaton), so it can be built on a
/// background thread (``MatcherIndexBuild``) while matchers answer with every pattern in
/// turn, which gives exactly the same results, only slower.
final class MatcherIndex: Sendable {
  /// Pattern `p`'s units are `unitStart[p] ..< unitStart[p + 1]` (patterns numbered as in
  /// ``Matcher``: each intent's patterns, then its exclusions).
  let unitStart: [Int]
  /// Each unit's compiled branch, or nil when the unit is a whole pattern.
  let branches: [Pattern?]
  let intentOfUnit: [Int32]
  let patternOfUnit: [Int32]
  let prefilter: Prefilter

  init(bot: Bot) {
    var patterns: [(IntentPattern, Int32)] = []
    for (i, intent) in bot.intents.enumerated() {
      for p in intent.patterns + intent.exclusions { patterns.append((p, Int32(i))) }
    }
    // Reading the patterns is independent work: spread it over the cores.
    let units = Self.concurrentMap(patterns.count) { k in Self.units(of: patterns[k].0) }
    var unitStart: [Int] = []
    var branches: [Pattern?] = []
    var intentOfUnit: [Int32] = []
    var patternOfUnit: [Int32] = []
    var requirements: [LiteralRequirement] = []
    var leading: [[[UInt8]]?] = []
    for (number, list) in units.enumerated() {
      unitStart.append(requirements.count)
      for u in list {
        requirements.append(u.requirement)
        leading.append(u.leading)
        branches.append(u.branch)
        intentOfUnit.append(patterns[number].1)
        patternOfUnit.append(Int32(number))
      }
    }
    unitStart.append(requirements.count)
    self.unitStart = unitStart
    self.branches = branches
    self.intentOfUnit = intentOfUnit
    self.patternOfUnit = patternOfUnit
    self.prefilter = Prefilter(requirements: requirements, leading: leading)
  }

  private struct Unit {
    var requirement: LiteralRequirement
    var leading: [[UInt8]]?
    var branch: Pattern?
  }

  /// A pattern's units: its branches when it has several and some need a literal (and each
  /// compiles alone), else the pattern itself.
  private static func units(of p: IntentPattern) -> [Unit] {
    let analysis = LiteralExtractor.analyze(
      p.source, extended: p.compiled.options.contains(.extended))
    let whole = [Unit(requirement: analysis.requirement, leading: analysis.leading, branch: nil)]
    guard let parts = analysis.branches, parts.contains(where: { $0.requirement != .any }) else {
      return whole
    }
    var split: [Unit] = []
    for (k, part) in parts.enumerated() {
      guard let compiled = try? Pattern(part.source, options: p.compiled.options, jit: false) else {
        return whole
      }
      split.append(
        Unit(requirement: part.requirement, leading: analysis.branchLeading?[k], branch: compiled))
    }
    return split
  }

  /// `(0..<count).map(transform)`, computed on every core.
  private static func concurrentMap<T>(_ count: Int, _ transform: (Int) -> T) -> [T] {
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    defer { results.deallocate() }
    nonisolated(unsafe) let out = results
    withoutActuallyEscaping(transform) { transform in
      nonisolated(unsafe) let work = transform
      let chunks = min(count, max(ProcessInfo.processInfo.activeProcessorCount, 1) * 4)
      DispatchQueue.concurrentPerform(iterations: chunks) { c in
        var k = c
        while k < count {
          out[k] = work(k)
          k += chunks
        }
      }
    }
    // concurrentPerform returns once every iteration has run, so every slot is filled.
    return results.map { $0.unsafelyUnwrapped }
  }
}

/// A ``MatcherIndex`` being built on a background thread, shared by the matchers that wait for
/// it. A matcher asks at each message and switches to the index once it is there; until then
/// it runs every pattern, so answers never depend on when the build finishes.
final class MatcherIndexBuild: @unchecked Sendable {
  private let lock = NSCondition()
  private var built: MatcherIndex?

  /// Starts building the index for `bot` on a thread of its own.
  init(bot: Bot) {
    Thread.detachNewThread { [self] in
      let index = MatcherIndex(bot: bot)
      lock.lock()
      built = index
      lock.broadcast()
      lock.unlock()
    }
  }

  /// The index, if it is ready.
  var index: MatcherIndex? {
    lock.lock()
    defer { lock.unlock() }
    return built
  }

  /// The index, waiting for it if need be.
  func wait() -> MatcherIndex {
    lock.lock()
    defer { lock.unlock() }
    while true {
      if let built { return built }
      lock.wait()
    }
  }
}
