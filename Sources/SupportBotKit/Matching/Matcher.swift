import PCRE2

/// One pattern of an intent that matched, and where.
public struct PatternHit: Sendable, Hashable {
  /// Index into the intent's `patterns` (or `exclusions`).
  public let index: Int
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
  public let winner: Candidate?
  /// Patterns that hit a match limit (treated as not matching).
  public let limitErrors: [String]

  init(normalized: String, candidates: [Candidate], winner: Candidate?, limitErrors: [String]) {
    self.normalized = normalized
    self.candidates = candidates
    self.winner = winner
    self.limitErrors = limitErrors
  }

  /// Why the winner beat the runner-up (or why nothing matched). Worked out when asked.
  public var reason: String {
    Matcher.reason(candidates.prefix { $0.excludedBy == nil })
  }

  public var intent: String? { winner?.intent }
  public var entities: [String: String] { winner?.captures ?? [:] }
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
  /// The prefilter, or nil when every pattern runs on every message.
  public let prefilter: Prefilter?
  private let prefilterScratch: PrefilterScratch?
  private let normalizerScratch = NormalizerScratch()
  /// Pattern numbers: intent `i`'s patterns are `patternBase[i] ..< exclusionBase[i]`, its
  /// exclusions `exclusionBase[i] ..< patternBase[i + 1]`.
  private let patternBase: [Int]
  private let exclusionBase: [Int]
  /// The intent of each pattern number.
  private let intentOfPattern: [Int32]

  public init(bot: Bot, limits: MatchLimits = .default, prefilter: Bool = true) {
    self.bot = bot
    let groups =
      bot.intents.flatMap { $0.patterns + $0.exclusions }.map(\.compiled.captureCount).max() ?? 0
    self.scratch = MatchScratch(limits: limits, groups: groups)
    var patternBase: [Int] = []
    var exclusionBase: [Int] = []
    var intentOf: [Int32] = []
    var all: [(source: String, extended: Bool)] = []
    for (i, intent) in bot.intents.enumerated() {
      patternBase.append(all.count)
      for p in intent.patterns {
        all.append((p.source, p.compiled.options.contains(.extended)))
        intentOf.append(Int32(i))
      }
      exclusionBase.append(all.count)
      for p in intent.exclusions {
        all.append((p.source, p.compiled.options.contains(.extended)))
        intentOf.append(Int32(i))
      }
    }
    patternBase.append(all.count)
    self.patternBase = patternBase
    self.exclusionBase = exclusionBase
    self.intentOfPattern = intentOf
    if prefilter {
      let pf = Prefilter(patterns: all)
      self.prefilter = pf
      self.prefilterScratch = PrefilterScratch(for: pf)
    } else {
      self.prefilter = nil
      self.prefilterScratch = nil
    }
  }

  /// Ranks every intent against `text`. Contextual intents count only if in `expected`.
  public func classify(_ text: String, expected: Set<String> = []) -> Classification {
    let buf = bot.normalizer.normalize(text, scratch: normalizerScratch)
    let normalized = String(decoding: buf, as: UTF8.self)
    var limitErrors: [String] = []
    var live: [Candidate] = []
    var vetoed: [Candidate] = []

    if let prefilter, let pfs = prefilterScratch {
      prefilter.run(buf, pfs)
      var last = -1
      for p in pfs.survivors {
        let i = Int(intentOfPattern[Int(p)])
        // Exclusions alone cannot make an intent match.
        if i == last || Int(p) >= exclusionBase[i] { continue }
        last = i
        consider(i, buf, expected, pfs, &live, &vetoed, &limitErrors)
      }
    } else {
      for i in bot.intents.indices {
        consider(i, buf, expected, nil, &live, &vetoed, &limitErrors)
      }
    }
    if live.count > 1 { live.sort(by: Self.outranks) }
    let winner = live.first
    if !vetoed.isEmpty { live.append(contentsOf: vetoed) }
    return Classification(
      normalized: normalized, candidates: live, winner: winner, limitErrors: limitErrors)
  }

  /// Runs intent `i`'s patterns (those the prefilter lets through) and records a candidate.
  @inline(__always)
  private func consider(
    _ i: Int, _ buf: UnsafeBufferPointer<UInt8>, _ expected: Set<String>,
    _ pfs: PrefilterScratch?, _ live: inout [Candidate], _ vetoed: inout [Candidate],
    _ limitErrors: inout [String]
  ) {
    let intent = bot.intents[i]
    let isExpected = !expected.isEmpty && expected.contains(intent.id)
    if intent.contextual && !isExpected { return }
    var hits: [PatternHit] = []
    var number = patternBase[i]
    for (k, p) in intent.patterns.enumerated() {
      defer { number += 1 }
      if let pfs, !pfs.mayMatch(number) { continue }
      if let span = run(p, buf, &limitErrors, intent: intent.id) {
        hits.append(hit(k, p, span, buf))
      }
    }
    guard var best = hits.first else { return }
    for h in hits.dropFirst() where h.span.count > best.span.count { best = h }
    var veto: PatternHit? = nil
    number = exclusionBase[i]
    for (k, p) in intent.exclusions.enumerated() {
      defer { number += 1 }
      if let pfs, !pfs.mayMatch(number) { continue }
      if let span = run(p, buf, &limitErrors, intent: intent.id) {
        veto = hit(k, p, span, buf)
        break
      }
    }
    let captures = veto == nil ? self.captures(intent.patterns[best.index], buf) : [:]
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

  private func run(
    _ p: IntentPattern, _ buf: UnsafeBufferPointer<UInt8>, _ errors: inout [String],
    intent: String
  ) -> Range<Int>? {
    do {
      return try p.compiled.firstMatch(in: buf, scratch: scratch)
    } catch {
      errors.append("\(p.location): \(intent): \(error.kind.rawValue) reached; treated as no match")
      return nil
    }
  }

  private func hit(
    _ i: Int, _ p: IntentPattern, _ span: Range<Int>, _ buf: UnsafeBufferPointer<UInt8>
  ) -> PatternHit {
    PatternHit(
      index: i, source: p.source, location: p.location, span: span,
      text: String(decoding: UnsafeBufferPointer(rebasing: buf[span]), as: UTF8.self))
  }

  /// Named captures of `p` on `buf` (re-runs the pattern; only done for matched intents).
  private func captures(_ p: IntentPattern, _ buf: UnsafeBufferPointer<UInt8>) -> [String: String]
  {
    guard !p.compiled.namedGroups.isEmpty,
      (try? p.compiled.firstMatch(in: buf, scratch: scratch)) != nil
    else { return [:] }
    var out: [String: String] = [:]
    for (name, number) in p.compiled.namedGroups {
      if let r = scratch.range(ofGroup: number) {
        out[name] = String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self)
      }
    }
    return out
  }
}
