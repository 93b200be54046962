import SupportBotKit
import Testing

@Suite struct TranscriptRunnerTests {
  func passes(_ text: String) throws -> Bool { try TranscriptFixtures.replay(text).passed }

  @Test func exactMeansTheWholeReply() throws {
    #expect(try passes("> hi\n< Hello there!\n"))
    #expect(try !passes("> hi\n< Hello\n"))
    #expect(try !passes("> hi\n< Hello there! \n< extra\n"))
  }

  @Test func theNumberOfReplyLinesMustMatchUnlessLoosened() throws {
    let refund = "> I want a refund\n"
    #expect(
      try passes(refund + "< Let's look at your refund.\n< How many days ago did you buy it?\n"))
    #expect(try !passes(refund + "< Let's look at your refund.\n"))
    #expect(try passes(refund + "< Let's look at your refund.\n<*\n"))
    #expect(try passes(refund + "<*\n< How many days ago did you buy it?\n"))
    #expect(try passes(refund + "<*\n"))
    #expect(try !passes(refund + "<-\n"))
  }

  @Test func containsRegexAndAnyOf() throws {
    #expect(try passes("> hi\n<~ there\n"))
    #expect(try !passes("> hi\n<~ There\n"))
    #expect(try passes("> hi\n</ ^hello\\b /i\n"))
    #expect(try !passes("> hi\n</ ^hello\\b /\n"))
    #expect(try passes("> hi\n<| Hi!\n| Hello there!\n"))
    #expect(try !passes("> hi\n<| Hi!\n| Hello!\n"))
  }

  @Test func aRegexThatBacktracksForeverFailsWithAReason() throws {
    // The escalation reply is 41 word characters and spaces, then a full stop.
    let o = try TranscriptFixtures.replay(
      "> I want a refund\n<*\n> blah\n<*\n> blah\n</ ^(\\w+\\s?)*$ /\n")
    #expect(!o.passed)
    #expect(o.report.contains("(the regex gave up: "), "\(o.report)")
  }

  @Test func nothingMeansNoReply() throws {
    #expect(try passes("> @end\n<-\n"))
    #expect(try !passes("> hi\n<-\n"))
  }

  @Test func assertionsOnIntentEntitiesStateSlotsActions() throws {
    #expect(try passes("> where is my order 123\nintent: order_status\nentities: order=123\n<*\n"))
    #expect(try !passes("> where is my order 123\nintent: refund\n<*\n"))
    #expect(try !passes("> where is my order\nentities: order=1\n<*\n"))
    #expect(try passes("> blah blah\nintent: none\nentities: none\n<*\n"))
    #expect(try passes("> I want a refund\n<*\nstate: refund.ask_days\nflow: refund\n"))
    #expect(try passes("> I want a refund\n<*\nstate: ask_days\n"))
    #expect(try !passes("> I want a refund\n<*\nstate: none\n"))
    #expect(try passes("> I want a refund\n<*\n> 10 days ago\n<*\nslot days = 10\n"))
    #expect(try !passes("> I want a refund\n<*\n> 10 days ago\n<*\nslot days = 11\n"))
    #expect(try passes("> I want a refund\n<*\n> 10 days ago\n<*\nslot other unset\n"))
    #expect(try passes("> human please\n<*\naction: handoff (user_asked)\n"))
    #expect(try passes("> human please\n<*\naction: handoff\n"))
    #expect(try !passes("> human please\n<*\naction: handoff (escalation)\n"))
    #expect(try !passes("> human please\n<*\naction: none\n"))
    #expect(try passes("> hi\n<*\naction: none\n"))
    #expect(try passes("> bye\n<*\nended: yes\n"))
    #expect(try !passes("> hi\n<*\nended: yes\n"))
  }

  @Test func startSettingsPlatformAndToday() throws {
    #expect(try passes("platform: Acme\n> @start\n< Hi! I'm the Acme helper.\n"))
    #expect(
      try passes(
        "start: refund.confirm\nslot days = 4\n> yes\n< Done: your refund request is started.\n"))
    // "3 January" is 12 days before 2026-01-15 but 2 days before 2026-01-05.
    let on3 = "start: refund\n> on 3 January\n<*\nslot days = "
    #expect(try passes(on3 + "12\n"))
    #expect(try passes("today: 2026-01-05\n" + on3 + "2\n"))
    let bad = try TranscriptFixtures.replay("start: refund.nowhere\n> hi\n<*\n")
    #expect(
      bad.errors.map(\.description) == [
        "test.convo:1:8: error: flow 'refund' has no state 'nowhere' (states: ask_days, confirm, "
          + "started, too_late)"
      ])
  }

  @Test func neverCatchesTextInRepliesAndSlots() throws {
    #expect(try passes("> my card is 4111 1111 1111 1111\n<*\nnever: 4111\n"))
    #expect(try !passes("> hi\n<*\nnever: Hello\n"))
  }

  @Test func failuresReportFileLineTheTurnAndADiff() throws {
    let o = try TranscriptFixtures.replay(
      """
      > hi
      < Hello there!
      > I want a refund
      < Let's look at your refund!
      < How many days ago did you buy it?
      < And one more thing.
      state: refund.confirm
      """)
    #expect(!o.passed)
    #expect(
      o.report == """
        test.convo:3: turn 2: > I want a refund
          test.convo:4: replies differ (- expected, + actual):
              - < Let's look at your refund!
              + Let's look at your refund.
                first difference at column 26: expected "!", found "."
                How many days ago did you buy it?
              - < And one more thing.   (no such reply)
          test.convo:7: state: expected refund.confirm, got refund.ask_days
        """)
  }

  @Test func aChangedReplyInACopyFailsWithAFileLineDiff() throws {
    let good = "> hi\n< Hello there!\n"
    #expect(try passes(good))
    let broken = good.replacingOccurrences(of: "Hello there!", with: "Hello there")
    let o = try TranscriptFixtures.replay(broken)
    #expect(o.report.contains("test.convo:2: replies differ"))
    #expect(o.report.contains("- < Hello there\n"))
    #expect(o.report.contains("+ Hello there!"))
  }

  @Test func updateRewritesFailingExactLinesOnly() throws {
    let text = """
      > hi
      < Hello!
      > I want a refund
      <~ refund
        < How many days?
      intent: refund
      > where is my order
      < Old line one
      < Old line two
      """
    let o = try TranscriptFixtures.replay(text)
    let updated = try #require(TranscriptUpdater.apply(o.failures, to: text))
    #expect(
      updated.text == """
        > hi
        < Hello there!
        > I want a refund
        <~ refund
          < How many days ago did you buy it?
        intent: refund
        > where is my order
        < What's the order number?
        """)
    #expect(try passes(updated.text))
  }

  @Test func suiteSummaryFiltersAndJUnit() throws {
    let files = try TranscriptSuite.files(
      in: [TranscriptFixtures.dir.appendingPathComponent("convos").path])
    #expect(files.count >= 3)
    let all = TranscriptSuite(bot: try TranscriptFixtures.bot()).run(files)
    #expect(all.summary == "\(files.count) passed, 0 failed")
    let tagged = TranscriptSuite(bot: try TranscriptFixtures.bot(), tags: ["order"]).run(files)
    #expect(tagged.outcomes.count == 2)
    let named = TranscriptSuite(bot: try TranscriptFixtures.bot(), nameFilter: "REFUND").run(files)
    #expect(
      named.outcomes.allSatisfy {
        $0.title.lowercased().contains("refund") || $0.path.contains("refund")
      })
    let xml = JUnitWriter.xml(all)
    #expect(xml.contains("<testsuite name=\"transcripts\" tests=\"\(files.count)\" failures=\"0\""))
    var failing = all
    failing.outcomes.append(try TranscriptFixtures.replay("> hi\n< Hi <b>\n"))
    let failXML = JUnitWriter.xml(failing)
    #expect(failXML.contains("<failure message=\"test.convo:1: turn 1 failed\">"))
    #expect(failXML.contains("- &lt; Hi &lt;b&gt;"))
    #expect(failing.summary == "\(files.count) passed, 1 failed")
  }

  @Test func coverageOfTheFixtureBotIsComplete() throws {
    let files = try TranscriptSuite.files(
      in: [TranscriptFixtures.dir.appendingPathComponent("convos").path])
    let result = TranscriptSuite(bot: try TranscriptFixtures.bot()).run(files, coverage: true)
    let cov = try #require(result.coverage)
    for line in cov.lines {
      #expect(line.missing.isEmpty, "\(line.label): \(line.missing.map(\.name))")
    }
    #expect(cov.report(botDirectory: "bot").contains("states          8/   8   100.0%"))
  }

  @Test func coverageListsWhatWasNeverReached() throws {
    var cov: TranscriptCoverage? = TranscriptCoverage(bot: try TranscriptFixtures.bot())
    _ = try TranscriptFixtures.replay("> I want a refund\n<*\n> 45 days ago\n<*\n", coverage: &cov)
    let c = try #require(cov)
    let states = try #require(c.lines.first { $0.label == "states" })
    #expect(states.reached == 2 && states.total == 8)
    let transitions = try #require(c.lines.first { $0.label == "transitions" })
    // `if: days > 30 or days == 999` is two alternatives at one place: one edge.
    #expect(transitions.reached == 1 && transitions.total == 8)
    let report = c.report(botDirectory: "bot")
    #expect(report.contains("never reached:"))
    #expect(report.contains("state refund.confirm"))
    #expect(report.contains("transition refund.confirm --on yes--> started"))
    #expect(!report.contains("days > 30 or days == 999"))
    #expect(report.contains("questions never escalated (informational):\n  state refund.ask_days"))
  }
}
