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
  /// Why the winner beat the runner-up (or why nothing matched).
  public let reason: String
  /// Patterns that hit a match limit (treated as not matching).
  public let limitErrors: [String]

  public var intent: String? { winner?.intent }
  public var entities: [String: String] { winner?.captures ?? [:] }
}

/// Classifies messages against a bot's intents. Owns the match scratch space, so use one per
/// thread; the compiled bot itself is shared.
public final class Matcher {
  public let bot: Bot
  private let scratch: MatchScratch

  public init(bot: Bot, limits: MatchLimits = .default) {
    self.bot = bot
    let groups =
      bot.intents.flatMap { $0.patterns + $0.exclusions }.map(\.compiled.captureCount).max() ?? 0
    self.scratch = MatchScratch(limits: limits, groups: groups)
  }

  /// Ranks every intent against `text`. Contextual intents count only if in `expected`.
  public func classify(_ text: String, expected: Set<String> = []) -> Classification {
    var normalized = bot.normalizer.normalize(text)
    normalized.makeContiguousUTF8()
    var limitErrors: [String] = []
    var live: [Candidate] = []
    var vetoed: [Candidate] = []

    normalized.utf8.withContiguousStorageIfAvailable { buf in
      for intent in bot.intents {
        let isExpected = expected.contains(intent.id)
        if intent.contextual && !isExpected { continue }
        var hits: [PatternHit] = []
        for (i, p) in intent.patterns.enumerated() {
          if let span = run(p, buf, &limitErrors, intent: intent.id) {
            hits.append(hit(i, p, span, buf))
          }
        }
        guard var best = hits.first else { continue }
        for h in hits.dropFirst() where h.span.count > best.span.count { best = h }
        var veto: PatternHit? = nil
        for (i, p) in intent.exclusions.enumerated() {
          if let span = run(p, buf, &limitErrors, intent: intent.id) {
            veto = hit(i, p, span, buf)
            break
          }
        }
        let captures = veto == nil ? self.captures(intent.patterns[best.index], buf) : [:]
        let c = Candidate(
          intent: intent.id, priority: intent.priority, expected: isExpected, order: intent.order,
          best: best, hits: hits, excludedBy: veto, captures: captures)
        if veto == nil { live.append(c) } else { vetoed.append(c) }
      }
    }
    live.sort(by: Self.outranks)
    let reason = Self.reason(live)
    return Classification(
      normalized: normalized, candidates: live + vetoed, winner: live.first, reason: reason,
      limitErrors: limitErrors)
  }

  /// The ranking rule: expected by the state, then priority, then longer match, then
  /// declaration order.
  public static func outranks(_ a: Candidate, _ b: Candidate) -> Bool {
    if a.expected != b.expected { return a.expected }
    if a.priority != b.priority { return a.priority > b.priority }
    if a.specificity != b.specificity { return a.specificity > b.specificity }
    return a.order < b.order
  }

  static func reason(_ ranked: [Candidate]) -> String {
    guard let w = ranked.first else { return "no pattern matched: fallback" }
    guard ranked.count > 1 else { return "\(w.intent) is the only intent that matched" }
    let r = ranked[1]
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
