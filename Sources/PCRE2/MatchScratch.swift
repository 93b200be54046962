import CPCRE2

/// Limits that bound the work one match may do, so no pattern can hang the process.
public struct MatchLimits: Sendable, Hashable {
  /// PCRE2's match limit: calls of the internal match function (JIT and interpreter).
  public var matchLimit: UInt32
  /// Backtracking depth limit (interpreter only; JIT is bounded by its stack).
  public var depthLimit: UInt32
  /// Heap the interpreter may use for backtracking, in KiB.
  public var heapLimitKiB: UInt32
  /// Largest JIT stack, in bytes.
  public var jitStackBytes: Int

  public init(
    matchLimit: UInt32 = 200_000, depthLimit: UInt32 = 10_000, heapLimitKiB: UInt32 = 20_000,
    jitStackBytes: Int = 1 << 20
  ) {
    self.matchLimit = matchLimit
    self.depthLimit = depthLimit
    self.heapLimitKiB = heapLimitKiB
    self.jitStackBytes = jitStackBytes
  }

  public static let `default` = MatchLimits()
}

/// Per-thread match state: match data, match context with limits, and a JIT stack.
///
/// Create one per thread or engine and reuse it for every match; nothing is allocated per
/// match. Not thread-safe by design.
public final class MatchScratch {
  private(set) var matchData: OpaquePointer
  let context: OpaquePointer
  private let jitStack: OpaquePointer?
  private var pairs: Int
  var lastGroupCount = 0
  /// A zero byte to pass as the subject of an empty match.
  let emptySubject = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
  public let limits: MatchLimits

  public init(limits: MatchLimits = .default, groups: Int = 16) {
    self.limits = limits
    emptySubject.initialize(to: 0)
    self.pairs = max(groups + 1, 1)
    // These only fail when memory is exhausted, which nothing here can recover from.
    guard let data = pcre2_match_data_create_8(UInt32(pairs), nil),
      let ctx = pcre2_match_context_create_8(nil)
    else { preconditionFailure("libpcre2 could not allocate match data") }
    self.matchData = data
    self.context = ctx
    pcre2_set_match_limit_8(ctx, limits.matchLimit)
    pcre2_set_depth_limit_8(ctx, limits.depthLimit)
    pcre2_set_heap_limit_8(ctx, limits.heapLimitKiB)
    self.jitStack = pcre2_jit_stack_create_8(32 * 1024, max(limits.jitStackBytes, 32 * 1024), nil)
    if let jitStack { pcre2_jit_stack_assign_8(ctx, nil, UnsafeMutableRawPointer(jitStack)) }
  }

  deinit {
    pcre2_match_data_free_8(matchData)
    pcre2_match_context_free_8(context)
    if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    emptySubject.deallocate()
  }

  /// Grows the match data when a pattern has more groups than any seen before.
  func ensureCapacity(groups: Int) {
    guard groups + 1 > pairs else { return }
    pairs = groups + 1
    guard let data = pcre2_match_data_create_8(UInt32(pairs), nil) else {
      preconditionFailure("libpcre2 could not allocate match data")
    }
    pcre2_match_data_free_8(matchData)
    matchData = data
  }

  /// The byte range of group `number` from the last successful match, if it took part.
  public func range(ofGroup number: Int) -> Range<Int>? {
    guard number <= lastGroupCount || number == 0, number < pairs else { return nil }
    let ovector = pcre2_get_ovector_pointer_8(matchData)
    guard let ovector else { return nil }
    let start = ovector[2 * number]
    let end = ovector[2 * number + 1]
    if start == cpcre2_unset() || end == cpcre2_unset() || end < start { return nil }
    return start..<end
  }
}
