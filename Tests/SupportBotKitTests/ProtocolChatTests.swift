import Testing

@testable import SupportBotKit

private let day = CivilDate(year: 2025, month: 3, day: 14)

@Suite struct ProtocolChatTests {
  let engine: Engine

  init() throws {
    engine = Engine(bot: try protocolTestBot())
  }

  @Test func greetsAndAnswers() throws {
    let chat = try ChatSession(engine: engine, start: .init(today: day))
    #expect(chat.open() == [.replies(["Hi"])])
    #expect(chat.handle("close my account") == [.replies(["Are you sure you want to close it?"])])
    #expect(chat.session.state == "confirm")
    #expect(chat.handle("yes") == [.replies(["Done: your request is in."])])
    #expect(chat.log.turns.count == 3)
    #expect(chat.handle("   ") == [])
    #expect(chat.log.turns.count == 3)
  }

  @Test func commands() throws {
    let chat = try ChatSession(engine: engine, start: .init(today: day))
    _ = chat.open()
    if case .error(let e) = chat.handle("/why").first {
      #expect(e.contains("nothing to explain"))
    } else {
      Issue.record("/why before any message should be an error")
    }
    _ = chat.handle("close my account")
    guard case .info(let why) = chat.handle("/why").first else {
      Issue.record("no /why output")
      return
    }
    #expect(why.contains("intent: delete_account"))
    #expect(why.contains("state: idle → delete_account.confirm"))
    #expect(why.contains("pattern bot/x.yaml:"))
    #expect(why.contains("span=0..<16"))
    guard case .info(let state) = chat.handle("/state").first else {
      Issue.record("no /state output")
      return
    }
    #expect(state.contains("flow: delete_account"))
    #expect(state.contains("state: confirm"))
    #expect(chat.handle("/reset") == [.replies(["Hi"])])
    #expect(chat.session.flow == nil)
    #expect(chat.handle("/quit") == [.quit])
    if case .info(let help) = chat.handle("/help").first {
      #expect(help.contains("/save FILE"))
    }
    if case .error(let e) = chat.handle("/bogus\u{1b}[31m").first {
      #expect(!e.contains("\u{1b}"))
    } else {
      Issue.record("unknown command accepted")
    }
    if case .save(let path, let transcript) = chat.handle("/save out.txt").first {
      #expect(path == "out.txt")
      #expect(transcript.contains("close my account"))
    } else {
      Issue.record("/save gave no transcript")
    }
    #expect(chat.handle("/save") == [.error("usage: /save FILE")])
    // "//" sends a message that starts with "/".
    #expect(chat.handle("//yes") == [.replies(["Sorry?"])])
  }

  @Test func startsInsideAFlowWithSlots() throws {
    let chat = try ChatSession(
      engine: engine,
      start: .init(today: day, flow: "delete_account", state: "confirm", slots: ["n": .number(3)]))
    #expect(chat.open() == [.note("starting in delete_account.confirm with n=3")])
    #expect(chat.handle("yes") == [.replies(["Done: your request is in."])])
    #expect(chat.log.startFlow == "delete_account")
    #expect(throws: ChatSession.StartError.self) {
      try ChatSession(engine: engine, start: .init(today: day, flow: "nope"))
    }
    #expect(throws: ChatSession.StartError.self) {
      try ChatSession(engine: engine, start: .init(today: day, flow: "delete_account", state: "x"))
    }
    #expect(ChatSession.parseSlot("a=1")?.1 == .number(1))
    #expect(ChatSession.parseSlot("a=b=c")?.1 == .string("b=c"))
    #expect(ChatSession.parseSlot("=1") == nil)
  }

  @Test func handoffIsShownAsAnAction() throws {
    let chat = try ChatSession(engine: engine, start: .init(today: day))
    let out = chat.handle("a person please")
    #expect(out.first == .replies(["Passing you to a person."]))
    if case .action(let a) = out.last {
      #expect(a.contains("user_asked"))
    } else {
      Issue.record("no action")
    }
  }
}

@Suite struct ProtocolTerminalTextTests {
  @Test func stripsControlSequences() {
    #expect(TerminalText.sanitize("plain") == "plain")
    #expect(TerminalText.sanitize("\u{1b}[31mred\u{1b}[0m") == "red")
    #expect(TerminalText.sanitize("a\u{1b}]0;title\u{7}b") == "ab")
    #expect(TerminalText.sanitize("a\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\b") == "alinkb")
    #expect(TerminalText.sanitize("a\u{1b}Pq#0\u{1b}\\b") == "ab")
    #expect(TerminalText.sanitize("a\u{9b}2Jb") == "ab")
    #expect(TerminalText.sanitize("a\u{1b}(Bb") == "ab")
    #expect(TerminalText.sanitize("a\u{1b}cb") == "ab")
    #expect(TerminalText.sanitize("bell\u{7}\r back\u{8}\u{7f}") == "bell back")
    #expect(TerminalText.sanitize("tab\there") == "tab here")
    #expect(TerminalText.sanitize("two\nlines") == "two\nlines")
    #expect(TerminalText.sanitize("two\nlines", keepNewlines: false) == "two lines")
    #expect(TerminalText.sanitize("unfinished \u{1b}[12") == "unfinished ")
    #expect(TerminalText.sanitize("héllo 😀") == "héllo 😀")
  }

  @Test func wrapsToWidth() {
    let lines = TerminalText.wrap(
      "the quick brown fox jumps over the lazy dog", width: 16, firstPrefix: "> ", prefix: "  ")
    #expect(lines == ["> the quick", "  brown fox", "  jumps over the", "  lazy dog"])
    #expect(lines.allSatisfy { $0.count <= 16 })
    let long = TerminalText.wrap(String(repeating: "x", count: 25), width: 10)
    #expect(long == ["xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"])
    #expect(TerminalText.wrap("a\nb", width: 20) == ["a", "b"])
    // Wide characters take two columns.
    #expect(TerminalText.columns("日本語") == 6)
    #expect(TerminalText.columns("e\u{301}") == 1)
    let wide = TerminalText.wrap("日本語 日本語 日本語", width: 14)
    #expect(wide == ["日本語 日本語", "日本語"])
    #expect(
      TerminalText.wrap("aaaa" + String(repeating: "語", count: 6), width: 10).map {
        TerminalText.columns($0)
      } == [10, 6])
  }

  @Test func paintsOnlyWithColour() {
    #expect(TerminalText.paint("x", .bot, colour: false) == "x")
    #expect(TerminalText.paint("x", .bot, colour: true) == "\u{1b}[36mx\u{1b}[0m")
  }
}
