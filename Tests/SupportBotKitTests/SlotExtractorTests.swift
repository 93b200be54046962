import Testing

@testable import SupportBotKit

@Suite("Slot extractors")
struct SlotExtractorTests {
  /// Sunday 29 November 2026.
  let today = CivilDate(year: 2026, month: 11, day: 29)

  @Test(
    "days_ago understands the phrases people use",
    arguments: [
      ("10 days ago", 10),
      ("last week", 7),
      ("two weeks ago", 14),
      ("yesterday", 1),
      ("a month ago", 30),
      ("on 3 November", 26),
      ("3rd of November", 26),
      ("November 3rd", 26),
      ("on 29 October", 31),
      ("on 30 October", 30),
      ("on 31 October", 29),
      ("2026-11-01", 28),
      ("today", 0),
      ("the day before yesterday", 2),
      ("a couple of weeks ago", 14),
      ("a few days ago", 3),
      ("twenty-nine days ago", 29),
      ("thirty one days ago", 31),
      ("29 days ago", 29),
      ("about 30 days ago", 30),
      ("31 days ago", 31),
      ("one and a half weeks ago", 11),
      ("a week and a half ago", 11),
      ("over a month ago", 31),
      ("more than 30 days ago", 31),
      ("almost a month ago", 29),
      ("a fortnight ago", 14),
      ("2 months ago", 60),
      ("last Monday", 6),
      ("on friday", 2),
      ("10", 10),
      ("I asked 5 days ago", 5),
      ("I think it was on Monday, or around then, not sure", 6),
      ("on the 2nd", 27),
      ("the 29th", 0),
      ("on the 30th", 30),  // 30 October: the 30th of November is still to come
    ])
  func daysAgo(_ text: String, _ expected: Int) {
    #expect(SlotExtractors.daysAgo(text, today: today) == expected, "\(text)")
  }

  @Test(
    "days_ago finds nothing where no time is named",
    arguments: [
      "I don't remember", "no idea", "may I ask something", "", "hello", "this week maybe",
      "what happens to my data after 30 days?", "is it deleted in 30 days?",
      "does the grace period last for a month or so, I would like to know",
    ])
  func noDate(_ text: String) {
    #expect(SlotExtractors.daysAgo(text, today: today) == nil, "\(text)")
  }

  @Test("A date later in the year than today is last year's")
  func futureDateIsLastYear() {
    let early = CivilDate(year: 2026, month: 1, day: 10)
    #expect(SlotExtractors.daysAgo("on 20 December", today: early) == 21)
  }

  @Test("Dates count across month and year ends and leap days")
  func calendar() {
    let march1 = CivilDate(year: 2028, month: 3, day: 1)
    #expect(SlotExtractors.daysAgo("on 28 February", today: march1) == 2)  // 2028 is a leap year
    #expect(SlotExtractors.daysAgo("yesterday", today: march1) == 1)
    #expect(CivilDate(year: 2026, month: 11, day: 29).weekday == 0)  // a Sunday
  }

  @Test("The number extractor takes the first number")
  func number() {
    #expect(SlotExtractors.extract("number", from: "about 3 or 4", today: today) == .number(3))
    #expect(SlotExtractors.extract("number", from: "five", today: today) == .number(5))
    #expect(SlotExtractors.extract("number", from: "none", today: today) == nil)
    #expect(SlotExtractors.extract("nope", from: "5", today: today) == nil)
  }
}
