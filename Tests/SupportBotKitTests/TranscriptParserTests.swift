import SupportBotKit
import Testing

@Suite struct TranscriptParserTests {
  @Test func readsHeaderTurnsAndEveryExpectationKind() throws {
    let t = try TranscriptParser.parse(
      """
      # a comment
      title: Refund, happy path
      tags: refund, smoke
      platform: Acme
      today: 2026-03-01
      start: refund.confirm
      slot days = 10
      slot name = "10"

      > yes
      < exact
      <~ part
      </ ^Done \\d+ /i
      <| one
      | two
      <*
      intent: yes
      entities: a=1, b="x, y"
      flow: none
      state: refund.started
      slot days = 3
      slot gone unset
      action: handoff (escalation)
      ended: no
      never: 4111
      > @start
      <-
      > \\@start
      <*
      """, path: "Transcripts/refund.convo")
    #expect(t.title == "Refund, happy path")
    #expect(t.tags == ["refund", "smoke"])
    #expect(t.platform == "Acme")
    #expect(t.today == CivilDate(year: 2026, month: 3, day: 1))
    #expect(t.startFlow == "refund" && t.startState == "confirm")
    #expect(t.startSlots == ["days": .number(10), "name": .string("10")])
    #expect(t.turns.count == 3)
    let first = t.turns[0]
    #expect(first.line == 10 && first.input == .text("yes"))
    #expect(first.replies.count == 5)
    guard case .exact("exact") = first.replies[0].kind,
      case .contains("part") = first.replies[1].kind,
      case .regex("^Done \\d+", _) = first.replies[2].kind,
      case .anyOf(["one", "two"]) = first.replies[3].kind,
      case .anything = first.replies[4].kind
    else {
      Issue.record("unexpected kinds: \(first.replies.map(\.written))")
      return
    }
    #expect(first.replies[2].accepts("done 12 days"))
    #expect(first.replies.map(\.line) == [11, 12, 13, 14, 16])
    #expect(
      first.assertions.map(\.kind) == [
        .intent("yes"), .entities(["a": "1", "b": "x, y"]), .flow(nil),
        .state(flow: "refund", state: "started"), .slot("days", .number(3)), .slot("gone", nil),
        .action(kind: "handoff", reason: "escalation"), .ended(false), .never("4111"),
      ])
    #expect(t.turns[1].input == .start)
    #expect(t.turns[2].input == .text("@start"))
  }

  @Test func titleDefaultsToTheFileNameAndTodayToAFixedDate() throws {
    let t = try TranscriptParser.parse("> hi\n<*\n", path: "dir/greeting_basic.convo")
    #expect(t.title == "greeting_basic")
    #expect(t.today == Transcript.defaultToday)
  }

  @Test func anEmptyBotSideIsAnErrorUnlessAnythingGoes() {
    #expect(
      TranscriptFixtures.errors("> hi\nintent: greeting\n> bye\n<*\n") == [
        "1:1: the turn says nothing about the bot's replies: add `<` lines, `<*` if anything "
          + "goes, or `<-` if the bot says nothing"
      ])
    #expect(TranscriptFixtures.errors("> hi\n<*\n").isEmpty)
  }

  @Test func errorsCarryLineAndColumn() {
    let errors = TranscriptFixtures.errors(
      """
      title: x
      today: 2026-02-30
      colour: blue
      intent: greeting
      > hi
      <? what
      </ (unclosed /
      </ fine /q
      > @jump
      <*
      state:
      entities: a
      wat
      | orphan
      """)
    #expect(
      errors == [
        "2:8: `today:` must be a date written YYYY-MM-DD",
        "3:1: unknown header key `colour`; expected one of: "
          + "title, tags, platform, today, start, slot",
        "4:1: `intent:` asserts on a turn, so it goes after a `>` line",
        "5:1: the turn says nothing about the bot's replies: add `<` lines, `<*` if anything "
          + "goes, or `<-` if the bot says nothing",
        "6:1: unknown reply expectation `<?`; expected `< text` (exact), `<~ text` (contains), "
          + "`</ regex /`, `<| a` + `| b` (any of), `<*` (anything) or `<-` (nothing)",
        "7:13: regex error: missing closing parenthesis",
        "8:10: unknown regex flag `q`; expected i, m, s or x",
        "9:3: unknown event `@jump`; expected @start, @reset or @end (write `\\@` for a literal @)",
        "11:7: `state:` needs flow.state, a state id, or `none`",
        "12:11: expected `entities: name=value, …` (or `none`)",
        "13:1: cannot read this line: expected `> user text`, a `<` reply expectation, "
          + "`key: value` or a `# comment`",
        "14:1: `|` continues an any-of group, which starts with `<| text`",
      ])
  }

  @Test func aFileWithoutTurnsAndExpectationsBeforeTurnsAreErrors() {
    #expect(
      TranscriptFixtures.errors("title: x\n")
        == ["1:1: the transcript has no turns (a turn starts with `> what the user says`)"])
    #expect(
      TranscriptFixtures.errors("< hello\n> hi\n<*\n")
        == ["1:1: a reply expectation needs a turn before it (`> what the user says`)"])
    #expect(
      TranscriptFixtures.errors("> hi\n<-\n< Hello\n")
        == ["2:1: `<-` (the bot says nothing) cannot be combined with other reply lines"])
  }

  @Test func trailingCommentsEndKeyLinesButAreTextInTurns() throws {
    let t = try TranscriptParser.parse(
      "title: Hi  # the title\n> what is # for?\n< a # b\nintent: none # fallback\n",
      path: "t.convo")
    #expect(t.title == "Hi")
    #expect(t.turns[0].input == .text("what is # for?"))
    guard case .exact("a # b") = t.turns[0].replies[0].kind else {
      Issue.record("`#` in a reply line is text")
      return
    }
    #expect(t.turns[0].assertions.map(\.kind) == [.intent(nil)])
  }

  @Test func escapesRoundTrip() throws {
    let text = "line one\nback\\slash\ttab and a space at the end "
    let escaped = TranscriptSyntax.escape(text)
    #expect(!escaped.contains("\n") && !escaped.hasSuffix(" "))
    #expect(TranscriptSyntax.unescape(Substring(escaped)) == text)
  }
}

@Suite struct TranscriptParserRobustnessTests {
  /// A small deterministic generator (xorshift), so failures reproduce.
  struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
      state ^= state << 13
      state ^= state >> 7
      state ^= state << 17
      return state
    }
    mutating func pick<T>(_ a: [T]) -> T { a[Int(next() % UInt64(a.count))] }
  }

  @Test func garbledTranscriptsParseOrFailCleanlyAndReplayWithoutCrashing() throws {
    let fragments = [
      "> ", "<", "< ", "<~", "</", "/", "<|", "|", "<*", "<-", "#", "  #", "title:", "tags:",
      "today:", "start:", "slot", " = ", "\"", "\\", "\\n", "@start", "@", "intent:", "entities:",
      "state:", "action:", "never:", "ended:", "=", ",", ".", "(", ")", "[", "é", "🙂", "\u{0}",
      "\r", "\t", "hi", "refund", "yes", "2026-01-15", "refund.confirm", "99999999999999999999",
    ]
    var rng = Rng(state: 0x9E37_79B9_7F4A_7C15)
    let runner = TranscriptRunner(bot: try TranscriptFixtures.bot())
    var parsed = 0
    let prefixes = [
      "> ", "> ", "< ", "<~ ", "<*", "<-", "<| ", "| ", "</ ", "intent: ", "state: ", "slot ",
      "# ", "",
    ]
    let words = ["hi", "refund", "yes", "no", "Hello there!", "10 days ago", "none", "x", "."]
    for round in 0..<600 {
      // Half the inputs are mostly well-formed lines, half are fragments glued at random.
      var text = round % 2 == 0 ? "> hi\n" : ""
      for _ in 0..<Int(rng.next() % 10) {
        if round % 2 == 0 {
          text += rng.pick(prefixes)
          for _ in 0..<Int(rng.next() % 3) { text += rng.pick(words) + " " }
          if rng.next() % 8 == 0 { text += rng.pick(fragments) }
        } else {
          for _ in 0..<Int(1 + rng.next() % 5) { text += rng.pick(fragments) }
        }
        text += rng.pick(["\n", "\n", " "])
      }
      do {
        let t = try TranscriptParser.parse(text, path: "fuzz.convo")
        var coverage: TranscriptCoverage? = TranscriptCoverage(bot: runner.bot)
        let o = runner.run(t, coverage: &coverage)
        _ = o.report
        _ = TranscriptUpdater.apply(o.failures, to: text)
        parsed += 1
      } catch {
        #expect(!error.diagnostics.isEmpty)
        for d in error.diagnostics { #expect(d.location.line >= 1 && d.location.column >= 1) }
      }
    }
    #expect(parsed > 0)
  }
}
