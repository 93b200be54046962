import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

private let bot = ["--intents", Paths.fixtureBot, "--today", "2025-03-14"]

private func serve(_ lines: [String], _ extra: [String] = []) throws -> RunResult {
  try run(["serve"] + bot + extra, stdin: Data(lines.map { $0 + "\n" }.joined().utf8))
}

@Suite(.serialized) struct ServeEndToEndTests {
  @Test func answersTheDocumentedExample() throws {
    let r = try serve([
      #"{"session": "s1", "event": "start", "id": 1}"#,
      #"{"session": "s1", "text": "I want to close my account", "id": 7}"#,
      #"{"session": "s1", "text": "yes", "id": 8}"#,
    ])
    #expect(r.status == 0)
    #expect(r.err.isEmpty)
    #expect(r.lines.count == 3)
    #expect(
      r.lines[1]
        == #"{"id":7,"session":"s1","intent":"delete_account","entities":{},"flow":"delete_account","state":"confirm","slots":{},"replies":["Are you sure you want to close it?"],"actions":[],"ended":false}"#
    )
    let done = try object(r.lines[2])
    #expect(done["intent"] as? String == "yes")
    #expect(done["flow"] is NSNull)
    #expect(done["replies"] as? [String] == ["Done: your request is in."])
  }

  @Test func shippedBotWorksFromAFreshStart() throws {
    // What a new user tries first, with the bot that ships.
    let r = try run(
      ["serve"],
      stdin: Data(
        (#"{"event":"start"}"# + "\n" + #"{"text":"I want to delete my account","id":7}"# + "\n")
          .utf8))
    #expect(r.status == 0)
    #expect(r.lines.count == 2)
    let greeting = try object(r.lines[0])
    #expect((greeting["replies"] as? [String])?.isEmpty == false)
    let delete = try object(r.lines[1])
    #expect(delete["intent"] as? String == "delete_account")
    #expect(delete["id"] as? Int == 7)
  }

  /// Many sessions, interleaved, get exactly the replies each would get on its own.
  @Test func interleavedSessionsMatchSequentialOnes() throws {
    let scripts: [[String]] = [
      ["@start", "close my account", "yes", "where is order 42", "bye", "hello?"],
      ["close my account", "maybe", "no", "a person please"],
      ["@start", "hmm", "close my account", "@reset", "close my account", "nope", "@end"],
      ["tell me everything", "close my account", "where is order 7", "yes"],
    ]
    let sessions = 400
    var perSession: [[String]] = []
    for s in 0..<sessions {
      let script = scripts[s % scripts.count]
      perSession.append(
        script.enumerated().map { (n, turn) in
          let head = #"{"id":"s\#(s)-\#(n)","session":"user-\#(s)","#
          if turn.hasPrefix("@") { return head + #""event":"\#(turn.dropFirst())"}"# }
          return head + #""text":"\#(turn)"}"#
        })
    }
    // Round-robin with a deterministic shuffle of who goes next.
    var cursors = Array(repeating: 0, count: sessions)
    var interleaved: [String] = []
    var rng = UInt64(12345)
    while interleaved.count < perSession.reduce(0, { $0 + $1.count }) {
      rng = rng &* 6364136223846793005 &+ 1442695040888963407
      let s = Int((rng >> 33) % UInt64(sessions))
      if cursors[s] < perSession[s].count {
        interleaved.append(perSession[s][cursors[s]])
        cursors[s] += 1
      }
    }
    let mixed = try serve(interleaved)
    let grouped = try serve(perSession.flatMap { $0 })
    #expect(mixed.status == 0 && grouped.status == 0)
    #expect(mixed.lines.count == interleaved.count)
    func byID(_ r: RunResult) throws -> [String: String] {
      var out: [String: String] = [:]
      for line in r.lines {
        let id = try #require(try object(line)["id"] as? String)
        out[id] = line
      }
      return out
    }
    let a = try byID(mixed)
    let b = try byID(grouped)
    #expect(a.count == interleaved.count)
    #expect(a == b)
    // Replies come back in request order.
    let order = try mixed.lines.map { try #require(try object($0)["id"] as? String) }
    let sent = try interleaved.map { try #require(try object($0)["id"] as? String) }
    #expect(order == sent)
    let yes = try object(try #require(a["s0-2"]))
    #expect(yes["replies"] as? [String] == ["Done: your request is in."])
  }

  @Test func threadsDoNotChangeTheOutput() throws {
    let texts = ["close my account", "yes", "no", "where is order 42", "a person please", "bye"]
    var lines: [String] = []
    for k in 0..<3000 {
      let head = #"{"id":\#(k),"session":"u\#(k % 150)","#
      switch k % 29 {
      case 3: lines.append(head + #""event":"end"}"#)
      case 11: lines.append(head + #""text":false}"#)
      case 17: lines.append("{not json")
      case 23: lines.append(head + #""text":"close my account","explain":true}"#)
      default: lines.append(head + #""text":"\#(texts[k % texts.count])"}"#)
      }
    }
    let one = try serve(lines, ["--threads", "1"])
    #expect(one.status == 0)
    #expect(one.lines.count == lines.count)
    for threads in ["2", "4"] {
      let many = try serve(lines, ["--threads", threads])
      #expect(many.status == 0)
      #expect(many.out == one.out)
    }
  }

  /// Each bad line gets its own error, with id and session when readable, and the next good
  /// line is still answered correctly.
  @Test func everyBadInputIsFollowedByAGoodAnswer() throws {
    let megabyte = String(repeating: "a", count: 1 << 20)
    let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
    let cases: [(line: [UInt8], code: String, id: String?, session: String?)] = [
      (Array("".utf8), "empty_line", nil, nil),
      (Array("not json".utf8), "invalid_json", nil, nil),
      (Array(#"{"id":11,"session":"b","text":"x""#.utf8), "invalid_json", "11", "b"),
      (Array(#"{"id":12,"session":"b","text":"\ud800"}"#.utf8), "invalid_json", "12", "b"),
      (Array("[1,2]".utf8), "not_object", nil, nil),
      (Array(#"{"id":1,"session":"b","text":5}"#.utf8), "wrong_type", "1", "b"),
      (Array(#"{"id":7,"session":"b","text":"x","explain":"yes"}"#.utf8), "wrong_type", "7", "b"),
      (Array(#"{"id":2,"session":"b"}"#.utf8), "missing_field", "2", "b"),
      (Array(#"{"id":3,"session":"b","event":"explode"}"#.utf8), "unknown_event", "3", "b"),
      (Array(#"{"id":4,"session":"b","text":"x","text":"y"}"#.utf8), "duplicate_field", "4", "b"),
      (
        Array(#"{"id":5,"session":"b","text":"x","event":"start"}"#.utf8), "conflicting_fields",
        "5", "b"
      ),
      (Array(#"{"id":6,"session":"","text":"x"}"#.utf8), "invalid_session", "6", nil),
      (
        Array(#"{"id":8,"session":"b","text":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8),
        "invalid_utf8", "8", "b"
      ),
      (
        Array(#"{"id":9,"session":"b","text":"x","extra":\#(deep)}"#.utf8), "nesting_too_deep", "9",
        "b"
      ),
      (
        Array(#"{"id":{"n":10},"session":"b","text":"\#(megabyte)"}"#.utf8), "line_too_long",
        #"{"n":10}"#, "b"
      ),
    ]
    var input = Data()
    for (n, c) in cases.enumerated() {
      input.append(contentsOf: c.line)
      input.append(0x0A)
      input.append(
        contentsOf: #"{"id":"ok-\#(n)","session":"good-\#(n)","text":"close my account"}"#.utf8)
      input.append(0x0A)
    }
    let r = try run(["serve"] + bot, stdin: input)
    #expect(r.status == 0)
    #expect(r.lines.count == cases.count * 2)
    for (n, c) in cases.enumerated() {
      let bad = try object(r.lines[2 * n])
      let error = try #require(bad["error"] as? [String: String], "case \(n): \(r.lines[2 * n])")
      #expect(error["code"] == c.code, "case \(n)")
      #expect(error["message"]?.isEmpty == false)
      if let id = c.id {
        let echoed = try JSONSerialization.data(
          withJSONObject: try #require(bad["id"]), options: [.fragmentsAllowed, .sortedKeys])
        #expect(String(decoding: echoed, as: UTF8.self) == id, "case \(n)")
      } else {
        #expect(bad["id"] is NSNull, "case \(n)")
      }
      if let session = c.session {
        #expect(bad["session"] as? String == session, "case \(n)")
      } else {
        #expect(bad["session"] is NSNull, "case \(n)")
      }
      let good = try object(r.lines[2 * n + 1])
      #expect(good["id"] as? String == "ok-\(n)")
      #expect(good["intent"] as? String == "delete_account")
      #expect(good["state"] as? String == "confirm")
      #expect(good["replies"] as? [String] == ["Are you sure you want to close it?"])
    }
    // The over-long line is reported with its size; stdout holds only replies.
    #expect(r.lines[r.lines.count - 2].contains("65536 bytes"))
  }

  @Test func aOneMegabyteLineIsServedWhenTheLimitAllowsIt() throws {
    let text = String(repeating: "la ", count: 350_000)
    let line = #"{"id":1,"text":"\#(text)"}"#
    #expect(line.utf8.count > 1_000_000)
    let r = try serve(
      [line, #"{"id":2,"text":"close my account"}"#], ["--max-line-bytes", "2000000"])
    #expect(r.status == 0)
    #expect(r.lines.count == 2)
    let first = try object(r.lines[0])
    #expect(first["error"] == nil)
    #expect(first["intent"] is NSNull)
    #expect(try object(r.lines[1])["intent"] as? String == "delete_account")
  }

  @Test func randomBytesGetOneReplyPerLine() throws {
    var rng = UInt64(99)
    var input = [UInt8]()
    for _ in 0..<300_000 {
      rng = rng &* 6364136223846793005 &+ 1442695040888963407
      let b = UInt8(truncatingIfNeeded: rng >> 56)
      input.append(b % 61 == 0 ? 0x0A : b)
    }
    input.append(0x0A)
    let expected = input.filter { $0 == 0x0A }.count
    let r = try run(["serve"] + bot, stdin: Data(input))
    #expect(r.status == 0)
    #expect(r.lines.count == expected)
    for line in r.lines { #expect((try object(line))["error"] != nil) }
  }

  @Test func lastLineWithoutNewlineAndCRLF() throws {
    let input = #"{"id":1,"text":"close my account"}"# + "\r\n" + #"{"id":2,"text":"yes"}"#
    let r = try run(["serve"] + bot, stdin: Data(input.utf8))
    #expect(r.lines.count == 2)
    #expect(try object(r.lines[1])["replies"] as? [String] == ["Done: your request is in."])
  }

  @Test func explainAddsTheTrace() throws {
    let r = try serve([#"{"text":"close my account","explain":true}"#])
    let reply = try object(r.lines[0])
    let explain = try #require(reply["explain"] as? [String: Any])
    #expect(explain["entered"] as? [String] == ["delete_account.confirm"])
    let cls = try #require(explain["classification"] as? [String: Any])
    #expect(cls["intent"] as? String == "delete_account")
  }

  @Test func sessionLimitsDropTheLeastRecentlyUsed() throws {
    let r = try serve(
      [
        #"{"session":"a","text":"close my account"}"#,
        #"{"session":"b","text":"close my account"}"#,
        #"{"session":"c","text":"close my account"}"#,
        #"{"session":"a","text":"yes"}"#,  // a was dropped when c arrived: "yes" is idle
        #"{"session":"c","text":"yes"}"#,
      ], ["--max-sessions", "2"])
    #expect(try object(r.lines[3])["replies"] as? [String] == ["Okay."])
    #expect(try object(r.lines[4])["replies"] as? [String] == ["Done: your request is in."])
  }

  @Test func idleSessionsExpire() throws {
    let p = try LiveProcess(["serve"] + bot + ["--idle-timeout", "0.5"])
    p.send(#"{"session":"slow","text":"close my account"}"#)
    p.send(#"{"session":"fast","text":"close my account"}"#)
    #expect(try object(try #require(p.readLine()))["state"] as? String == "confirm")
    #expect(try object(try #require(p.readLine()))["state"] as? String == "confirm")
    usleep(800_000)
    p.send(#"{"session":"slow","text":"yes"}"#)  // expired: "yes" outside a flow
    #expect(try object(try #require(p.readLine()))["replies"] as? [String] == ["Okay."])
    p.closeInput()
    #expect(p.wait() == 0)
  }

  @Test func repliesAreFlushedPerLineAndSIGTERMExitsCleanly() throws {
    let p = try LiveProcess(["serve"] + bot)
    p.send(#"{"id":1,"text":"close my account"}"#)
    let first = try #require(p.readLine(), "no reply while stdin stays open: not flushed")
    #expect(try object(first)["state"] as? String == "confirm")
    p.send(#"{"id":2,"text":"yes"}"#)
    let second = try #require(p.readLine())
    #expect(try object(second)["id"] as? Int == 2)
    kill(p.process.processIdentifier, SIGTERM)
    #expect(p.wait() == 0)
    #expect(p.process.terminationReason == .exit)
  }

  @Test func endOfInputExitsZero() throws {
    let p = try LiveProcess(["serve"] + bot)
    p.send(#"{"id":1,"event":"start"}"#)
    p.closeInput()
    #expect(p.readLine() != nil)
    #expect(p.wait() == 0)
  }

  @Test func badOptionsAreRejected() throws {
    let r = try run(["serve", "--max-sessions", "0"])
    #expect(r.status != 0)
    #expect(r.out.isEmpty)
    let threads = try run(["serve", "--threads", "0"])
    #expect(threads.status != 0)
    #expect(threads.err.contains("--threads"))
    let missing = try run(["serve", "--intents", "/nonexistent/bot"])
    #expect(missing.status == 1)
    #expect(missing.err.contains("no such bot directory"))
  }
}
