import Foundation
import Testing

/// `supportbot bench` as a user runs it, at sizes small enough for a debug build: the report
/// has every measurement the README lists, and bad arguments fail clearly. Speed itself is not
/// asserted (the numbers depend on the machine).
@Suite("bench end to end")
struct BenchEndToEndTests {
  /// A message file of its own, removed by the caller.
  static func messages(_ lines: [String]) throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("supportbot-bench-\(UUID().uuidString).txt")
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    return url
  }

  static let small = [
    "--rounds", "1", "--per-round", "60", "--serve-lines", "120", "--sessions", "12",
    "--serve-warmup", "30", "--memory-sessions", "200",
  ]

  @Test func jsonReportHasEveryMeasurement() throws {
    let file = try Self.messages([
      "hi", "I want to delete my account", "how do I turn on two-factor authentication?",
      "my files will not delete", String(repeating: "a long pasted paragraph ", count: 40),
    ])
    defer { try? FileManager.default.removeItem(at: file) }
    let r = try run(
      ["bench", "--intents", Paths.shippedBot, "--messages", file.path, "--json"] + Self.small)
    #expect(r.status == 0, "\(r.err)")
    let json = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])

    let bot = try #require(json["bot"] as? [String: Any])
    #expect((bot["patterns"] as? Int ?? 0) > 100)
    #expect((bot["literals"] as? Int ?? 0) > 1_000)
    #expect((bot["automaton_states"] as? Int ?? 0) > (bot["literals"] as? Int ?? 0))
    let messages = try #require(json["messages"] as? [String: Any])
    #expect(messages["count"] as? Int == 5)

    func median(_ section: String, _ key: String) -> Double? {
      ((json[section] as? [String: Any])?[key] as? [String: Any])?["median"] as? Double
    }
    for section in ["classify_prefilter", "classify_full_ranking", "classify_naive"] {
      for key in ["messages_per_second", "p50_microseconds", "p99_microseconds"] {
        #expect((median(section, key) ?? 0) > 0, "\(section).\(key)")
      }
    }
    #expect((json["speedup"] as? Double ?? 0) > 1, "the prefilter beats the naive loop")
    #expect((median("protocol_in_process", "messages_per_second") ?? 0) > 0)
    #expect((median("serve", "messages_per_second") ?? 0) > 0)
    #expect((json["serve"] as? [String: Any])?["warmup_lines"] as? Int == 30)
    let startup = try #require(json["startup_milliseconds"] as? [String: Any])
    #expect((startup["median"] as? Double ?? 0) > 0)
    let memory = try #require(json["memory"] as? [String: Any])
    #expect(memory["sessions"] as? Int == 200)
    #expect(memory["serve_bytes_per_session"] != nil)
    let targets = try #require(json["targets"] as? [[String: Any]])
    #expect(
      Set(targets.compactMap { $0["name"] as? String }).isSuperset(of: [
        "classification", "serve", "start-up to first reply", "memory per idle session",
      ]))
    // A debug build says its numbers are not representative; nothing may have been skipped.
    let notes = json["notes"] as? [String] ?? []
    #expect(!notes.contains { $0.contains("skipped") }, "\(notes)")
  }

  @Test func textReportWithoutServe() throws {
    let file = try Self.messages(["delete my account", "thanks"])
    defer { try? FileManager.default.removeItem(at: file) }
    let r = try run(
      ["bench", "--intents", Paths.shippedBot, "--messages", file.path, "--no-serve"]
        + Self.small)
    #expect(r.status == 0, "\(r.err)")
    for row in [
      "classify, winner only", "classify, full ranking", "classify, naive loop",
      "full ranking vs the naive loop", "protocol in-process", "memory per session, in-process",
    ] {
      #expect(r.out.contains(row), "\(row)")
    }
    #expect(!r.out.contains("serve end to end"))
    #expect(r.out.contains("automaton states"))
  }

  @Test func badArgumentsFailClearly() throws {
    let zero = try run(["bench", "--rounds", "0", "--no-serve"])
    #expect(zero.status == 64)
    #expect(zero.err.contains("--rounds must be positive"))

    let warmup = try run(["bench", "--serve-warmup=-1", "--no-serve"])
    #expect(warmup.status == 64)
    #expect(warmup.err.contains("--serve-warmup must not be negative"))

    let missing = try run(["bench", "--messages", "/nonexistent/messages.txt", "--no-serve"])
    #expect(missing.status == 1)
    #expect(missing.err.contains("cannot read /nonexistent/messages.txt"))

    let file = try Self.messages([])
    defer { try? FileManager.default.removeItem(at: file) }
    let empty = try run(["bench", "--messages", file.path, "--no-serve"])
    #expect(empty.status == 1)
    #expect(empty.err.contains("no messages"))

    let noBot = try run(["bench", "--intents", "/nonexistent/bot", "--no-serve"])
    #expect(noBot.status == 1)
    #expect(noBot.err.contains("no such bot directory"))
  }
}
