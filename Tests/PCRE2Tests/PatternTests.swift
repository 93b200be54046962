import Foundation
import Testing

@testable import PCRE2

@Suite struct PatternTests {
  @Test func jitLaterGivesTheSameMatches() throws {
    let eager = try Pattern(#"\bcl(o|0)se\b.*account"#)
    let later = try Pattern(#"\bcl(o|0)se\b.*account"#, jit: false)
    let batch = try Pattern(#"\bcl(o|0)se\b.*account"#, jit: false)
    let subject = Array("please cl0se my account".utf8)
    let scratch = MatchScratch()
    let first = try subject.withUnsafeBufferPointer {
      try later.firstMatch(in: $0, scratch: scratch)
    }
    Pattern.jitCompile([batch, eager])
    let second = try subject.withUnsafeBufferPointer {
      try batch.firstMatch(in: $0, scratch: scratch)
    }
    #expect(first == 7..<23 && second == first)
    #expect(
      later.isJITCompiled == eager.isJITCompiled && batch.isJITCompiled == eager.isJITCompiled)
  }

  @Test func lazyJITIsSafeFromManyThreads() throws {
    let patterns = try (0..<40).map { try Pattern(#"\b(word\#($0)|other)\b"#, jit: false) }
    let subject = Array("some other words".utf8)
    let found = Counter()
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      let scratch = MatchScratch()
      for p in patterns {
        let r = subject.withUnsafeBufferPointer { try? p.firstMatch(in: $0, scratch: scratch) }
        if r == 5..<10 { found.add() }
      }
    }
    #expect(found.value == 8 * 40)
  }

  @Test func matchesCaselessByDefault() throws {
    let p = try Pattern(#"\bdelete\b"#)
    let m = try p.firstMatch(in: "Please DELETE it", scratch: MatchScratch())
    #expect(m.map { String($0.subject[$0.range]) } == "DELETE")
  }

  @Test func multiByteSpansMapToStringRanges() throws {
    let scratch = MatchScratch()
    let cases: [(pattern: String, subject: String, expected: String, byteStart: Int)] = [
      ("café", "un café noir", "café", 3),
      ("删除", "我想删除账户", "删除", 6),
      (#"account\b"#, "🙂🙂 account 🙂", "account", 9),
      (#"\w+é"#, "résumé", "résumé", 0),
    ]
    for c in cases {
      let p = try Pattern(c.pattern)
      let m = try #require(try p.firstMatch(in: c.subject, scratch: scratch))
      #expect(String(m.subject[m.range]) == c.expected)
      #expect(m.byteRanges[0]?.lowerBound == c.byteStart)
    }
  }

  @Test func caselessWorksBeyondASCII() throws {
    let p = try Pattern("ÉTÉ")
    #expect(try p.firstMatch(in: "un été chaud", scratch: MatchScratch()) != nil)
  }

  @Test func namedGroupsByName() throws {
    let p = try Pattern(#"change my (?<detail>email|phone)( to (?<value>\S+))?"#)
    #expect(p.namedGroups.map(\.name) == ["detail", "value"])
    #expect(p.groupNumber(named: "value") == 3)
    let m = try #require(
      try p.firstMatch(in: "I want to change my Phone now", scratch: MatchScratch()))
    #expect(m["detail"] == "Phone")
    #expect(m["value"] == nil)
    #expect(m["nope"] == nil)
    #expect(m.namedCaptures == ["detail": "Phone"])
  }

  @Test func compileErrorsCarryCodeMessageAndByteOffset() {
    #expect(throws: PCRE2Error.self) { try Pattern("delete (account") }
    do throws(PCRE2Error) {
      _ = try Pattern("é(unclosed")
      Issue.record("expected a compile error")
    } catch {
      #expect(error.kind == .compile)
      #expect(error.code == 114)  // missing closing parenthesis
      #expect(error.offset == 11)  // bytes: "é" is two
      #expect(error.message.contains("parenthesis"))
    }
  }

  @Test func catastrophicPatternHitsTheMatchLimitQuickly() throws {
    let p = try Pattern("(a+)+$")
    let subject = String(repeating: "a", count: 64 * 1024) + "b"
    let clock = ContinuousClock()
    var thrown: PCRE2Error?
    let elapsed = clock.measure {
      do throws(PCRE2Error) {
        _ = try p.firstMatch(in: subject, scratch: MatchScratch())
      } catch {
        thrown = error
      }
    }
    #expect(thrown?.kind == .matchLimit)
    #expect(thrown?.description.contains("match limit") == true)
    // Not a performance assertion: a hang would be minutes, the limit stops it in milliseconds.
    #expect(elapsed < .seconds(30))
  }

  @Test func deepRecursionIsStoppedNotCrashed() throws {
    // Deeply nested input for a recursive pattern runs out of JIT stack: reported as an error.
    let p = try Pattern(#"^(\((?1)*\))$"#)
    let scratch = MatchScratch(limits: MatchLimits(jitStackBytes: 32 * 1024))
    let subject = String(repeating: "(", count: 100_000) + String(repeating: ")", count: 100_000)
    do throws(PCRE2Error) {
      _ = try p.firstMatch(in: subject, scratch: scratch)
      Issue.record("expected a limit error")
    } catch {
      #expect([.jitStackLimit, .depthLimit, .matchLimit, .heapLimit].contains(error.kind))
    }
  }

  @Test func scratchIsReusedAcrossPatternsWithMoreGroups() throws {
    let scratch = MatchScratch(groups: 1)
    let small = try Pattern("(a)")
    let big = try Pattern("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)(m)(n)(o)(p)(q)(r)")
    #expect(try small.firstMatch(in: "a", scratch: scratch)?.byteRanges.count == 2)
    let m = try #require(try big.firstMatch(in: "abcdefghijklmnopqr", scratch: scratch))
    #expect(m.text(ofGroup: 18) == "r")
  }

  @Test func emptySubjectAndEmptyMatch() throws {
    let p = try Pattern("^$")
    #expect(try p.firstMatch(in: "", scratch: MatchScratch()) != nil)
    let q = try Pattern("x")
    #expect(try q.firstMatch(in: "", scratch: MatchScratch()) == nil)
  }

  @Test func jitIsUsed() throws {
    #expect(try Pattern("abc").isJITCompiled)
  }

  @Test func byteLevelMatchFromOffset() throws {
    let p = try Pattern("ab")
    let scratch = MatchScratch()
    let bytes = Array("ab ab".utf8)
    let r = try bytes.withUnsafeBufferPointer {
      try p.firstMatch(in: $0, from: 1, scratch: scratch)
    }
    #expect(r == 3..<5)
  }
}

/// A thread-safe tally for tests.
private final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var count = 0
  var value: Int { lock.withLock { count } }
  func add() { lock.withLock { count += 1 } }
}
