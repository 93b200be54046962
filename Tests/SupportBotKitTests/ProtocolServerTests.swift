import Foundation
import Testing

@testable import SupportBotKit

/// A small bot with one flow, a hand-off and a goodbye, independent of the shipped bot.
func protocolTestBot() throws -> Bot {
  try BotLoader.load(
    files: [
      baseBotFile,
      (
        "bot/x.yaml",
        """
        intents:
          - id: delete_account
            patterns: ['\\b(delete|close)\\b.*\\baccount\\b']
          - id: yes
            patterns: ['^(yes|yep|sure)$']
          - id: no
            patterns: ['^(no|nope)$']
          - id: human
            patterns: ['\\bperson\\b']
          - id: bye
            patterns: ['\\bbye\\b']
          - id: order
            patterns: ['\\border (?<order>\\d+)\\b']
        responses:
          yes: {behavior: reply, say: "Okay."}
          no: {behavior: reply, say: "Okay."}
          human: {behavior: handoff, say: "Passing you to a person."}
          bye: {behavior: end, say: "Goodbye!"}
          order: {say: "Looking at your order."}
        flows:
          - id: delete_account
            title: closing your account
            triggers: [delete_account]
            states:
              confirm:
                ask: "Are you sure you want to close it?"
                on:
                  - {intent: yes, to: done, set: {confirmed: yes}}
                  - {intent: no, to: end}
              done:
                say: "Done: your request is in."
        """
      ),
    ], directory: "bot")
}

private let day = CivilDate(year: 2025, month: 3, day: 14)

/// Parses one reply line with Foundation, to check the encoder independently.
private func parse(_ line: String) throws -> [String: Any] {
  let o = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
  return try #require(o as? [String: Any])
}

@Suite struct ProtocolServerTests {
  let server: ProtocolServer

  init() throws {
    server = ProtocolServer(engine: Engine(bot: try protocolTestBot()))
  }

  @Test func replyShapeInAndOutOfAFlow() throws {
    let start = try parse(server.handle(#"{"event":"start","id":1}"#, today: day))
    #expect(start["id"] as? Int == 1)
    #expect(start["session"] as? String == "default")
    #expect(start["intent"] is NSNull)
    #expect(start["flow"] is NSNull)
    #expect(start["state"] is NSNull)
    #expect(start["replies"] as? [String] == ["Hi"])
    #expect(start["ended"] as? Bool == false)

    let line = server.handle(
      #"{"session":"s1","text":"please delete my account","id":"x"}"#, today: day)
    #expect(
      line
        == #"{"id":"x","session":"s1","intent":"delete_account","entities":{},"flow":"delete_account","state":"confirm","slots":{},"replies":["Are you sure you want to close it?"],"actions":[],"ended":false}"#
    )
    let yes = try parse(server.handle(#"{"session":"s1","text":"yes"}"#, today: day))
    #expect(yes["intent"] as? String == "yes")
    #expect(yes["flow"] is NSNull)
    #expect(yes["replies"] as? [String] == ["Done: your request is in."])
    #expect(yes["id"] is NSNull)
  }

  @Test func fallbackHasNullIntentAndEntitiesAreReported() throws {
    let r = try parse(server.handle(#"{"text":"blah blah"}"#, today: day))
    #expect(r["intent"] is NSNull)
    #expect(r["replies"] as? [String] == ["Sorry?"])
    let o = try parse(server.handle(#"{"text":"where is order 123"}"#, today: day))
    #expect(o["intent"] as? String == "order")
    #expect(o["entities"] as? [String: String] == ["order": "123"])
    #expect(o["replies"] as? [String] == ["Looking at your order."])
  }

  @Test func sessionsAreKeptApart() throws {
    _ = server.handle(#"{"session":"a","text":"close my account"}"#, today: day)
    let b = try parse(server.handle(#"{"session":"b","text":"yes"}"#, today: day))
    #expect(b["flow"] is NSNull)
    let a = try parse(server.handle(#"{"session":"a","text":"yes"}"#, today: day))
    #expect(a["replies"] as? [String] == ["Done: your request is in."])
  }

  @Test func endForgetsAndResetRestarts() throws {
    _ = server.handle(#"{"session":"e","text":"close my account"}"#, today: day)
    #expect(server.sessions.peek("e")?.flow == "delete_account")
    let end = try parse(server.handle(#"{"session":"e","event":"end"}"#, today: day))
    #expect(end["ended"] as? Bool == true)
    #expect(end["replies"] as? [String] == [])
    #expect(server.sessions.peek("e") == nil)
    _ = server.handle(#"{"session":"r","text":"close my account"}"#, today: day)
    let reset = try parse(server.handle(#"{"session":"r","event":"reset"}"#, today: day))
    #expect(reset["flow"] is NSNull)
    #expect(reset["replies"] as? [String] == ["Hi"])
  }

  @Test func handoffActionsAndGoodbye() throws {
    _ = server.handle(#"{"session":"h","text":"close my account"}"#, today: day)
    let h = try parse(server.handle(#"{"session":"h","text":"a person please"}"#, today: day))
    let actions = try #require(h["actions"] as? [[String: Any]])
    #expect(actions.count == 1)
    #expect(actions.first?["type"] as? String == "handoff")
    #expect(actions.first?["reason"] as? String == "user_asked")
    let bye = try parse(server.handle(#"{"session":"g","text":"bye"}"#, today: day))
    #expect(bye["ended"] as? Bool == true)
    #expect(server.sessions.peek("g") == nil)
  }

  @Test func explainCarriesTheTrace() throws {
    let r = try parse(
      server.handle(#"{"session":"x","text":"close my account","explain":true}"#, today: day))
    let explain = try #require(r["explain"] as? [String: Any])
    #expect(explain["entered"] as? [String] == ["delete_account.confirm"])
    #expect((explain["state_before"] as? [String: Any])?["flow"] is NSNull)
    #expect((explain["state_after"] as? [String: Any])?["state"] as? String == "confirm")
    let cls = try #require(explain["classification"] as? [String: Any])
    #expect(cls["intent"] as? String == "delete_account")
    let candidates = try #require(cls["candidates"] as? [[String: Any]])
    #expect(candidates.first?["span"] as? [Int] == [0, 16])
    #expect((explain["steps"] as? [String])?.isEmpty == false)
  }

  @Test func errorsKeepTheStreamGoing() throws {
    for bad in ["nope", "[1]", #"{"text":1,"id":5,"session":"q"}"#, #"{"event":"x"}"#, ""] {
      let e = try parse(server.handle(bad, today: day))
      #expect(e["error"] != nil)
    }
    let wrong = try parse(server.handle(#"{"text":1,"id":5,"session":"q"}"#, today: day))
    #expect(wrong["id"] as? Int == 5)
    #expect(wrong["session"] as? String == "q")
    let ok = try parse(server.handle(#"{"text":"close my account"}"#, today: day))
    #expect(ok["state"] as? String == "confirm")
  }

  @Test func overlongLinesAreSkippedWithIdAndSession() throws {
    var options = ProtocolServer.Options()
    options.maxLineBytes = 64
    let small = ProtocolServer(engine: server.engine, options: options)
    let long = #"{"id":3,"session":"L","text":""# + String(repeating: "a", count: 200) + #""}"#
    let r = try parse(small.handle(long, today: day))
    let error = try #require(r["error"] as? [String: String])
    #expect(error["code"] == "line_too_long")
    #expect(r["id"] as? Int == 3)
    #expect(r["session"] as? String == "L")
  }

  @Test func everyErrorCodeIsDocumented() throws {
    let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")
    let text = try String(contentsOf: readme, encoding: .utf8)
    for code in ProtocolError.Code.all {
      #expect(text.contains("`\(code.rawValue)`"), "README does not document \(code)")
    }
  }
}

@Suite struct ProtocolSessionTableTests {
  private func touch(_ t: inout SessionTable, _ key: String, _ now: Double, turns: Int = 1) {
    t.update(key, now: now) { s, _ in s.turns += turns }
  }

  @Test func leastRecentlyUsedIsDroppedBeyondCapacity() {
    var t = SessionTable(capacity: 3, idleSeconds: 1000)
    touch(&t, "a", 0)
    touch(&t, "b", 1)
    touch(&t, "c", 2)
    touch(&t, "a", 3)  // a is now the most recent
    touch(&t, "d", 4)  // drops b
    #expect(t.keys == ["d", "a", "c"])
    #expect(t.peek("b") == nil)
    #expect(t.peek("a")?.turns == 2)
    #expect(t.evicted == 1)
    #expect(t.count == 3)
  }

  @Test func idleSessionsExpire() {
    var t = SessionTable(capacity: 10, idleSeconds: 10)
    touch(&t, "old", 0)
    touch(&t, "mid", 5)
    touch(&t, "new", 12)
    #expect(t.keys == ["new", "mid"])
    t.expire(now: 16)
    #expect(t.keys == ["new"])
    #expect(t.expired == 2)
    // An expired session starts afresh.
    touch(&t, "old", 17)
    #expect(t.peek("old")?.turns == 1)
  }

  @Test func peekAtATimeSeesWhatAnUpdateThenWould() {
    var t = SessionTable(capacity: 10, idleSeconds: 10)
    touch(&t, "a", 0)
    touch(&t, "b", 5)
    #expect(t.peek("a", at: 10)?.turns == 1)  // idle exactly the limit: kept
    #expect(t.peek("a", at: 10.5) == nil)  // idle longer: an update would expire it first
    #expect(t.peek("b", at: 10.5)?.turns == 1)
    #expect(t.peek("c", at: 0) == nil)
    // Peeking neither expires nor counts as a use.
    #expect(t.keys == ["b", "a"])
    #expect(t.expired == 0)
  }

  @Test func removeAndNotKeep() {
    var t = SessionTable(capacity: 2, idleSeconds: 100)
    touch(&t, "a", 0)
    t.update("a", now: 1) { _, keep in keep = false }
    #expect(t.count == 0)
    t.update("b", now: 1) { _, keep in keep = false }
    #expect(t.count == 0)
    touch(&t, "c", 2)
    touch(&t, "d", 2)
    t.remove("c")
    #expect(t.keys == ["d"])
    // Freed slots are reused.
    for i in 0..<100 { touch(&t, "k\(i)", Double(3 + i)) }
    #expect(t.count == 2)
    #expect(t.keys == ["k99", "k98"])
  }
}

@Suite struct ProtocolFramerTests {
  private func frame(_ chunks: [String], max: Int) -> [String] {
    var f = LineFramer(maxLineBytes: max)
    var out: [String] = []
    let collect: (LineFramer.Line) -> Void = { line in
      switch line {
      case .line(let b): out.append(String(decoding: b, as: UTF8.self))
      case .tooLong(let p, let n):
        out.append("TOO LONG \(n): " + String(decoding: p, as: UTF8.self))
      }
    }
    for c in chunks {
      Array(c.utf8).withUnsafeBufferPointer { f.feed($0, collect) }
    }
    f.finish(collect)
    return out
  }

  @Test func splitsAcrossChunks() {
    #expect(frame(["a\nb", "c\n\nd"], max: 10) == ["a", "bc", "", "d"])
    #expect(frame(["abc\n"], max: 10) == ["abc"])
    #expect(frame(["ab", "c", "\n"], max: 10) == ["abc"])
  }

  @Test func overlongLinesKeepOnlyAPrefix() {
    #expect(frame(["0123456789ABC\nok\n"], max: 10) == ["TOO LONG 13: 0123456789", "ok"])
    #expect(
      frame(["01234", "56789", "AB", "CD\nok"], max: 10) == ["TOO LONG 14: 0123456789", "ok"])
    #expect(frame(["0123456789"], max: 10) == ["0123456789"])
    #expect(frame(["0123456789X"], max: 10) == ["TOO LONG 11: 0123456789"])
  }
}
