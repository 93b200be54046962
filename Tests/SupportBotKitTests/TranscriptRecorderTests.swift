import SupportBotKit
import Testing

@Suite struct TranscriptRecorderTests {
  /// Drives the engine like chat does and records the conversation.
  func record(_ inputs: [Turn.Input], start: SessionState = SessionState()) throws
    -> ConversationLog
  {
    let engine = Engine(bot: try TranscriptFixtures.bot())
    let today = CivilDate(year: 2026, month: 2, day: 1)
    var log = ConversationLog(
      today: today, startFlow: start.flow, startState: start.state, startSlots: start.slots)
    var session = start
    for input in inputs {
      let r = engine.step(session, Turn(input, today: today))
      log.append(input, r)
      session = r.state
    }
    return log
  }

  @Test func aRecordedConversationReplaysGreen() throws {
    let log = try record([
      .start, .text("hello"), .text("I want a refund"), .text("opening hours?"),
      .text("last week"), .text("yes"), .text("where is my order 42"), .text("gibberish"),
      .text("more gibberish"), .text("I need a human"), .text("bye"), .end,
    ])
    let text = TranscriptRecorder.render(log)
    let o = try TranscriptFixtures.replay(text)
    #expect(o.passed, "\(o.report)\n\(text)")
    #expect(text.contains("> opening hours?\nintent: hours\n< We're open 9 to 5.\n"))
    #expect(text.contains("slot days = 7"))
    #expect(text.contains("action: handoff (user_asked)"))
    #expect(text.contains("> @end\n<-\nstate: none"))
    #expect(!text.contains("title:"))
    #expect(try TranscriptParser.parse(text, path: "Transcripts/my_chat.convo").title == "my_chat")
  }

  @Test func startSettingsAreRecorded() throws {
    let log = try record(
      [.text("yes")],
      start: SessionState(flow: "refund", state: "confirm", slots: ["days": .number(3)]))
    let text = TranscriptRecorder.render(log, title: "Starts at confirm", tags: ["refund"])
    #expect(text.contains("title: Starts at confirm\ntags: refund\ntoday: 2026-02-01\n"))
    #expect(text.contains("start: refund.confirm\nslot days = 3\n"))
    #expect(try TranscriptFixtures.replay(text).passed)
  }

  @Test func secretsNeverReachTheFileButTheReplayStillRedacts() throws {
    let secrets = [
      "my card is 5500-0000-0000-0004", "password: Tr0ub4dor&3", "the code is 918273",
      "4012888888881881 and my pw=swordfish99",
    ]
    let log = try record(secrets.map { .text($0) })
    let text = TranscriptRecorder.render(log)
    for s in ["5500", "Tr0ub4dor", "918273", "4012888888881881", "swordfish99"] {
      #expect(!text.contains(s), "\(s) leaked into:\n\(text)")
    }
    #expect(text.contains("fake stand-ins"))
    #expect(text.contains("never: 4111 1111 1111 1111"))
    #expect(text.contains("never: fake-secret-1"))
    let o = try TranscriptFixtures.replay(text)
    #expect(o.passed, "\(o.report)\n\(text)")
  }

  @Test func theUserKeepsTheirOwnWords() throws {
    let text = TranscriptRecorder.render(try record([.text("Hello THERE, I can't log in!")]))
    #expect(text.contains("> Hello THERE, I can't log in!\n"))
  }

  @Test func userTextThatLooksLikeSyntaxIsEscaped() throws {
    let log = try record([.text("@start"), .text("a\\nb")])
    let text = TranscriptRecorder.render(log)
    #expect(text.contains("> \\@start\n"))
    let t = try TranscriptParser.parse(text, path: "x.convo")
    #expect(t.turns.map(\.input) == [.text("@start"), .text("a\\nb")])
  }
}
