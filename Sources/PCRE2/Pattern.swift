import CPCRE2
import Dispatch
import Synchronization

/// Options used when compiling a pattern.
public struct CompileOptions: OptionSet, Sendable, Hashable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let caseless = CompileOptions(rawValue: PCRE2_CASELESS)
  /// Treat pattern and subject as UTF-8 (always wanted for Swift strings).
  public static let utf = CompileOptions(rawValue: PCRE2_UTF)
  /// Unicode properties for `\w`, `\b`, `\d` and caseless matching beyond ASCII.
  public static let ucp = CompileOptions(rawValue: PCRE2_UCP)
  public static let multiline = CompileOptions(rawValue: PCRE2_MULTILINE)
  public static let dotAll = CompileOptions(rawValue: PCRE2_DOTALL)
  public static let extended = CompileOptions(rawValue: PCRE2_EXTENDED)

  /// What intent patterns use: UTF-8, Unicode properties, caseless.
  public static let intentDefault: CompileOptions = [.utf, .ucp, .caseless]

  /// Names of the set options, for explanations and exports.
  public var names: [String] {
    var out: [String] = []
    if contains(.utf) { out.append("utf") }
    if contains(.ucp) { out.append("ucp") }
    if contains(.caseless) { out.append("caseless") }
    if contains(.multiline) { out.append("multiline") }
    if contains(.dotAll) { out.append("dotall") }
    if contains(.extended) { out.append("extended") }
    return out
  }
}

/// A compiled, JIT-compiled PCRE2 pattern. Owns its `pcre2_code`.
///
/// Compiled code is immutable and safe to share between threads; all per-match state lives in
/// a ``MatchScratch``, which each thread or engine owns.
public final class Pattern: @unchecked Sendable {
  public let source: String
  public let options: CompileOptions
  /// Number of capture groups (not counting the whole match).
  public let captureCount: Int
  /// Named groups, in group-number order.
  public let namedGroups: [(name: String, number: Int)]
  /// Whether PCRE2's JIT compiler accepted the pattern (JIT-compiling it first if that was
  /// left for later).
  public var isJITCompiled: Bool {
    ensureJIT()
    return jitAccepted
  }
  private let code: OpaquePointer
  /// 1 once JIT compilation has been tried; then `jitAccepted` holds its outcome.
  private let jitTried = Atomic<UInt8>(0)
  /// Written once, under `jitLock`, before `jitTried` is set (and read only after).
  private var jitAccepted = false
  private let jitLock = Mutex(())

  /// Compiles `source`. With `jit: false`, JIT compilation waits until the pattern is first
  /// used (or ``jitCompile(_:)``), so patterns that never run cost nothing more; it is safe
  /// to share the pattern between threads either way.
  public init(
    _ source: String, options: CompileOptions = .intentDefault, jit: Bool = true
  ) throws(PCRE2Error) {
    var errorCode: Int32 = 0
    var errorOffset: Int = 0
    let compiled: OpaquePointer? =
      source.utf8.withContiguousStorageIfAvailable { buf in
        pcre2_compile_8(
          buf.baseAddress, buf.count, options.rawValue, &errorCode, &errorOffset, nil)
      }
      ?? {
        let bytes = Array(source.utf8)
        return bytes.withUnsafeBufferPointer { buf in
          pcre2_compile_8(
            buf.baseAddress, buf.count, options.rawValue, &errorCode, &errorOffset, nil)
        }
      }()
    guard let compiled else {
      throw PCRE2Error(
        kind: .compile, code: errorCode, message: PCRE2Error.text(for: errorCode),
        offset: errorOffset)
    }
    self.code = compiled
    self.source = source
    self.options = options
    if jit {
      jitAccepted = pcre2_jit_compile_8(compiled, PCRE2_JIT_COMPLETE) == 0
      jitTried.store(1, ordering: .releasing)
    }

    var count: UInt32 = 0
    pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &count)
    self.captureCount = Int(count)
    self.namedGroups = Pattern.readNameTable(compiled)
  }

  deinit { pcre2_code_free_8(code) }

  /// JIT-compiles the patterns that are not yet, spread over the machine's cores.
  public static func jitCompile(_ patterns: [Pattern]) {
    let pending = patterns.filter { $0.jitTried.load(ordering: .acquiring) == 0 }
    guard !pending.isEmpty else { return }
    DispatchQueue.concurrentPerform(iterations: pending.count) { pending[$0].ensureJIT() }
  }

  /// JIT-compiles the pattern if that has not been tried yet. The first thread to get here
  /// compiles it under a lock; any other waits for it, so no match runs meanwhile.
  @inline(__always)
  private func ensureJIT() {
    if jitTried.load(ordering: .acquiring) == 0 { jitSlowPath() }
  }

  @inline(never)
  private func jitSlowPath() {
    jitLock.withLock { _ in
      guard jitTried.load(ordering: .relaxed) == 0 else { return }
      jitAccepted = pcre2_jit_compile_8(code, PCRE2_JIT_COMPLETE) == 0
      jitTried.store(1, ordering: .releasing)
    }
  }

  /// The group number for a named group, if the pattern has it.
  public func groupNumber(named name: String) -> Int? {
    namedGroups.first { $0.name == name }?.number
  }

  /// Finds the first match in `subject` (valid UTF-8 bytes) from byte `start`.
  ///
  /// Allocates nothing: group ranges stay in `scratch` until its next use
  /// (read them with ``MatchScratch/range(ofGroup:)``). Returns the whole match's byte range.
  ///
  /// With `jit: false` the pattern runs in PCRE2's interpreter and is not JIT-compiled (one
  /// match costs more, but nothing is compiled): for the first messages after start-up,
  /// before most patterns are worth compiling.
  public func firstMatch(
    in subject: UnsafeBufferPointer<UInt8>, from start: Int = 0, scratch: MatchScratch,
    jit: Bool = true
  ) throws(PCRE2Error) -> Range<Int>? {
    if jit { ensureJIT() }
    scratch.ensureCapacity(groups: captureCount)
    let base = subject.baseAddress ?? UnsafePointer(scratch.emptySubject)
    let rc = pcre2_match_8(
      code, base, subject.count, start, PCRE2_NO_UTF_CHECK | (jit ? 0 : PCRE2_NO_JIT),
      scratch.matchData, scratch.context)
    if rc == PCRE2_ERROR_NOMATCH { return nil }
    if rc < 0 { throw PCRE2Error.fromMatch(code: rc) }
    scratch.lastGroupCount = captureCount
    return scratch.range(ofGroup: 0)
  }

  /// Finds the first match in a `String`, with every group's range as `String` indices.
  public func firstMatch(in subject: String, scratch: MatchScratch) throws(PCRE2Error) -> Match? {
    var subject = subject
    subject.makeContiguousUTF8()
    let result: Result<Match?, PCRE2Error> =
      subject.utf8.withContiguousStorageIfAvailable { buf in
        do throws(PCRE2Error) {
          guard let whole = try firstMatch(in: buf, scratch: scratch) else {
            return .success(nil)
          }
          var groups: [Range<Int>?] = [whole]
          for i in stride(from: 1, through: captureCount, by: 1) {
            groups.append(scratch.range(ofGroup: i))
          }
          return .success(Match(subject: subject, byteRanges: groups, pattern: self))
        } catch {
          return .failure(error)
        }
      } ?? .success(nil)
    return try result.get()
  }

  private static func readNameTable(_ code: OpaquePointer) -> [(name: String, number: Int)] {
    var nameCount: UInt32 = 0
    var entrySize: UInt32 = 0
    var table: UnsafePointer<UInt8>? = nil
    pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &nameCount)
    guard nameCount > 0 else { return [] }
    pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize)
    pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table)
    guard let table else { return [] }
    var out: [(name: String, number: Int)] = []
    for i in 0..<Int(nameCount) {
      let entry = table + i * Int(entrySize)
      let number = Int(entry[0]) << 8 | Int(entry[1])
      var length = 0
      while length < Int(entrySize) - 2, entry[2 + length] != 0 { length += 1 }
      let name = String(
        decoding: UnsafeBufferPointer(start: entry + 2, count: length), as: UTF8.self)
      out.append((name, number))
    }
    return out.sorted { $0.number < $1.number }
  }
}

/// A successful match over a `String`, with byte ranges mapped to `String` ranges.
public struct Match: Sendable {
  public let subject: String
  /// Byte ranges, index 0 being the whole match; `nil` for groups that did not take part.
  public let byteRanges: [Range<Int>?]
  let namedGroups: [(name: String, number: Int)]

  init(subject: String, byteRanges: [Range<Int>?], pattern: Pattern) {
    self.subject = subject
    self.byteRanges = byteRanges
    self.namedGroups = pattern.namedGroups
  }

  /// The whole match as `String` indices.
  public var range: Range<String.Index> { stringRange(byteRanges[0] ?? 0..<0) }

  /// The matched text of group `number`.
  public func text(ofGroup number: Int) -> Substring? {
    guard number < byteRanges.count, let r = byteRanges[number] else { return nil }
    return subject[stringRange(r)]
  }

  /// The matched text of a named group.
  public subscript(name: String) -> Substring? {
    guard let number = namedGroups.first(where: { $0.name == name })?.number else { return nil }
    return text(ofGroup: number)
  }

  /// Every named group that took part in the match, by name.
  public var namedCaptures: [String: Substring] {
    var out: [String: Substring] = [:]
    for (name, number) in namedGroups {
      if let t = text(ofGroup: number) { out[name] = t }
    }
    return out
  }

  /// Maps a UTF-8 byte range of the subject to `String` indices.
  public func stringRange(_ bytes: Range<Int>) -> Range<String.Index> {
    let utf8 = subject.utf8
    let lower = utf8.index(utf8.startIndex, offsetBy: bytes.lowerBound)
    let upper = utf8.index(lower, offsetBy: bytes.count)
    return lower..<upper
  }
}
