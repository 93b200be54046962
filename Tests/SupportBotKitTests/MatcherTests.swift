import Testing

@testable import SupportBotKit

@Suite struct MatcherTests {
  let bot: Bot

  init() throws {
    bot = try load(
      """
      substitutions:
        acct: account
      intents:
        - id: close_account
          patterns: ['\\b(close|delete)\\b.{0,20}\\baccount\\b']
          exclude: ['\\bcart\\b']
        - id: account_general
          patterns: ['\\baccount\\b']
        - id: urgent
          priority: 10
          patterns: ['\\burgent\\b']
        - id: twin_a
          patterns: ['\\btwin\\b']
        - id: twin_b
          patterns: ['\\btwin\\b']
        - id: by_sms
          contextual: true
          patterns: ['\\b(sms|text)\\b']
        - id: change_detail
          patterns: ['\\bchange my (?<detail>email|phone)\\b']
      """)
  }

  @Test func longerMatchWinsAtEqualPriority() {
    let cls = Matcher(bot: bot).classify("please close my acct now")
    #expect(cls.normalized == "please close my account now")
    #expect(cls.intent == "close_account")
    #expect(cls.candidates.map(\.intent) == ["close_account", "account_general"])
    #expect(cls.winner?.best.span == 7..<23)
    #expect(cls.winner?.best.text == "close my account")
    #expect(cls.reason.contains("matched more text"))
  }

  @Test func priorityBeatsLength() {
    let cls = Matcher(bot: bot).classify("urgent: close my account")
    #expect(cls.intent == "urgent")
    #expect(cls.reason.contains("higher priority"))
  }

  @Test func exactTieGoesToTheEarlierDeclaration() {
    let cls = Matcher(bot: bot).classify("my twin")
    #expect(cls.intent == "twin_a")
    #expect(cls.reason.contains("declared first"))
  }

  @Test func exclusionVetoesAnIntent() {
    let cls = Matcher(bot: bot).classify("delete the account cart")
    #expect(cls.intent == "account_general")
    let vetoed = cls.candidates.first { $0.intent == "close_account" }
    #expect(vetoed?.excludedBy?.text == "cart")
  }

  @Test func contextualIntentsCountOnlyWhenExpected() {
    let m = Matcher(bot: bot)
    #expect(m.classify("by sms please").intent == nil)
    let cls = m.classify("by sms please", expected: ["by_sms"])
    #expect(cls.intent == "by_sms")
    #expect(cls.winner?.expected == true)
  }

  @Test func expectedIntentsOutrankPriority() {
    let cls = Matcher(bot: bot).classify("urgent, by text", expected: ["by_sms"])
    #expect(cls.intent == "by_sms")
    #expect(cls.reason.contains("expected by the current state"))
  }

  @Test func namedCapturesBecomeEntities() {
    let cls = Matcher(bot: bot).classify("I need to change my Email")
    #expect(cls.intent == "change_detail")
    #expect(cls.entities == ["detail": "Email"])
  }

  @Test func noMatchIsFallback() {
    let cls = Matcher(bot: bot).classify("what's the weather tomorrow")
    #expect(cls.intent == nil)
    #expect(cls.candidates.isEmpty)
    #expect(cls.reason == "no pattern matched: fallback")
  }

  @Test func sameInputSameResult() {
    let m = Matcher(bot: bot)
    let a = m.classify("close my account, twin, urgent")
    let b = m.classify("close my account, twin, urgent")
    #expect(a.candidates.map(\.intent) == b.candidates.map(\.intent))
    #expect(a.reason == b.reason)
  }

  @Test func patternHittingTheLimitCountsAsNoMatch() throws {
    let slow = try load(
      """
      intents:
        - id: slow
          patterns: ['(a+)+$']
        - id: fine
          patterns: ['a']
      """)
    let cls = Matcher(bot: slow).classify(String(repeating: "a", count: 50_000) + "b")
    #expect(cls.intent == "fine")
    #expect(cls.limitErrors.count == 1)
    #expect(cls.limitErrors.first?.contains("match limit") == true)
  }
}
