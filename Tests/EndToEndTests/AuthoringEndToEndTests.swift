import Foundation
import Testing

/// `check`, `explain`, `graph` and `patterns` as a user runs them: output and exit status.
@Suite("authoring commands end to end")
struct AuthoringEndToEndTests {
  static func fixture(_ name: String) -> String {
    Paths.root.appendingPathComponent("Tests/Fixtures/authoring/\(name)").path
  }

  @Test func checkPassesACleanBotAndSaysSoOnStderr() throws {
    let r = try run(["check", Self.fixture("clean"), "--strict"])
    #expect(r.status == 0)
    #expect(r.out == "")
    #expect(r.err.contains("0 errors, 0 warnings"))
  }

  @Test func checkExitsOneOnWarningsOnlyWithStrict() throws {
    let dir = Self.fixture("unreachable")
    let plain = try run(["check", dir])
    #expect(plain.status == 0)
    #expect(
      plain.lines == [
        "\(dir)/bot.yaml:32:7: warning: state 'orphan' of flow 'refund' is unreachable: no `on`, `next` or `default` leads to it from the start state 'ask'"
      ])
    let strict = try run(["check", dir, "--strict"])
    #expect(strict.status == 1)
    #expect(strict.lines.first?.hasPrefix("\(dir)/bot.yaml:32:7: error: state 'orphan'") == true)
  }

  @Test func checkReportsLoadErrorsAndExitsOne() throws {
    let dir = Self.fixture("load_errors")
    let r = try run(["check", dir])
    #expect(r.status == 1)
    #expect(
      r.lines.map { $0.components(separatedBy: ": error:").first ?? "" } == [
        "\(dir)/bot.yaml:12:42", "\(dir)/bot.yaml:20:13", "\(dir)/bot.yaml:22:13",
        "\(dir)/bot.yaml:24:21",
      ])
    #expect(r.err.contains("did not load"))
  }

  @Test func checkPrintsJSON() throws {
    let r = try run(["check", Self.fixture("unreachable"), "--json", "--strict"])
    #expect(r.status == 1)
    let o = try object(r.out.trimmingCharacters(in: .newlines))
    #expect(o["errors"] as? Int == 1)
    #expect(o["loaded"] as? Bool == true)
    let d = try #require((o["diagnostics"] as? [[String: Any]])?.first)
    #expect(d["line"] as? Int == 32)
    #expect(d["column"] as? Int == 7)
    #expect(d["severity"] as? String == "error")
  }

  @Test func checkAcceptsIntentsOptionAndMissingDirectories() throws {
    #expect(try run(["check", "--intents", Self.fixture("clean")]).status == 0)
    let missing = try run(["check", "/nonexistent/bot"])
    #expect(missing.status == 1)
    #expect(missing.out.contains("no such bot directory"))
  }

  @Test func explainPrintsJSONWithStateContext() throws {
    let r = try run([
      "explain", "--intents", Self.fixture("slots"), "yes", "--state", "refund.start", "--json",
    ])
    #expect(r.status == 0)
    let o = try object(r.out.trimmingCharacters(in: .newlines))
    #expect(o["intent"] as? String == "yes")
    #expect(o["state"] as? String == "refund.start")
    #expect(o["expected"] as? [String] == ["no", "yes"])
    let bad = try run([
      "explain", "--intents", Self.fixture("slots"), "yes", "--state", "refund.nope",
    ])
    #expect(bad.status == 1)
    #expect(
      bad.err.contains("flow 'refund' has no state 'nope'; states: start, amount, big, small"))
  }

  @Test func explainNamesContextualIntentsThatWouldMatch() throws {
    let r = try run(["explain", "--intents", Self.fixture("clean"), "yes"])
    #expect(r.status == 0)
    #expect(r.out.contains("intent: fallback"))
    #expect(
      r.out.contains("also matches, but counts only where a state expects it (contextual): yes"))
    let j = try run(["explain", "--intents", Self.fixture("clean"), "yes", "--json"])
    let o = try object(j.out.trimmingCharacters(in: .newlines))
    #expect(o["contextual_not_expected"] as? [String] == ["yes"])
  }

  @Test func graphDrawsMermaidAndDot() throws {
    let m = try run(["graph", "--intents", Self.fixture("clean")])
    #expect(m.status == 0)
    #expect(m.lines.first == "stateDiagram-v2")
    #expect(m.out.contains("confirm --> done : yes"))
    let d = try run([
      "graph", "--intents", Self.fixture("clean"), "--flow", "refund", "--format", "dot",
    ])
    #expect(d.out.hasPrefix("digraph supportbot {"))
    let bad = try run(["graph", "--intents", Self.fixture("clean"), "--flow", "nope"])
    #expect(bad.status == 1)
    #expect(bad.err.contains("no flow 'nope'; the bot has: refund"))
  }

  @Test func patternsExportsTheShippedBotAsJSON() throws {
    let r = try run(["patterns", "--json", "--intents", Paths.shippedBot])
    #expect(r.status == 0)
    let o = try object(r.out.trimmingCharacters(in: .newlines))
    let patterns = try #require(o["patterns"] as? [[String: Any]])
    #expect(patterns.count > 50)
    #expect(patterns.enumerated().allSatisfy { $0.element["order"] as? Int == $0.offset })
  }
}
