/// Built-in slot extractors, named in flow files with `extract:`.
public enum SlotExtractors {
  public static let names: Set<String> = ["days_ago", "number"]

  /// Runs extractor `name` over normalised text.
  public static func extract(_ name: String, from text: String, today: CivilDate) -> SlotValue? {
    switch name {
    case "days_ago": return daysAgo(text, today: today).map(SlotValue.number)
    case "number": return firstNumber(words(text)).map(SlotValue.number)
    default: return nil
    }
  }

  static func words(_ text: String) -> [String] {
    if let ascii = text.utf8.withContiguousStorageIfAvailable({ asciiWords($0) }), let ascii {
      return ascii
    }
    var out: [String] = []
    var cur = ""
    for ch in text.lowercased() {
      if ch.isLetter || ch.isNumber {
        cur.append(ch)
      } else {
        if !cur.isEmpty { out.append(cur) }
        cur = ""
        if ch == "-" || ch == "/" { out.append(String(ch)) }
      }
    }
    if !cur.isEmpty { out.append(cur) }
    return out
  }

  /// `words` for ASCII text, byte by byte (the same result: in ASCII only `A`–`Z`, `a`–`z` and
  /// `0`–`9` are letters or numbers); nil if the text is not all ASCII.
  private static func asciiWords(_ bytes: UnsafeBufferPointer<UInt8>) -> [String]? {
    var out: [String] = []
    var start = -1
    func flush(_ end: Int) {
      guard start >= 0 else { return }
      let word = UnsafeBufferPointer(rebasing: bytes[start..<end])
      out.append(
        String(unsafeUninitializedCapacity: word.count) { dst in
          for (k, b) in word.enumerated() { dst[k] = b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
          return word.count
        })
      start = -1
    }
    for (i, b) in bytes.enumerated() {
      if b >= 0x80 { return nil }
      let alnum = (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || (b >= 0x30 && b <= 0x39)
      if alnum {
        if start < 0 { start = i }
      } else {
        flush(i)
        if b == 0x2D { out.append("-") } else if b == 0x2F { out.append("/") }
      }
    }
    flush(bytes.count)
    return out
  }

  static let numberWords: [String: Int] = [
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "couple": 2, "few": 3, "several": 4, "half": 0,
  ]

  static let units: [String: Int] = [
    "day": 1, "days": 1, "week": 7, "weeks": 7, "wk": 7, "wks": 7, "fortnight": 14,
    "fortnights": 14, "month": 30, "months": 30, "year": 365, "years": 365,
  ]

  static let months: [String: Int] = [
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12,
    "dec": 12,
  ]

  static let weekdays: [String: Int] = [
    "sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5,
    "saturday": 6,
  ]

  static func number(_ w: String) -> Int? {
    if let n = Int(w), n >= 0, n < 100_000 { return n }
    return numberWords[w]
  }

  static func firstNumber(_ ws: [String]) -> Int? {
    for w in ws { if let n = Int(w), n >= 0, n < 1_000_000 { return n } }
    for w in ws where w != "a" && w != "an" { if let n = numberWords[w] { return n } }
    return nil
  }

  static func ordinalDay(_ w: String) -> Int? {
    var digits = w
    for suffix in ["st", "nd", "rd", "th"] where w.hasSuffix(suffix) {
      digits = String(w.dropLast(2))
    }
    guard let d = Int(digits), (1...31).contains(d) else { return nil }
    return d
  }

  static let tens: [String: Int] = [
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
  ]

  /// The number whose last word is `ws[end]`: digits, a word, "a"/"an", or tens and units
  /// ("twenty nine", "twenty-nine"); with the index of its first word.
  static func amount(_ ws: [String], endingAt end: Int) -> (value: Int, start: Int)? {
    guard end >= 0 else { return nil }
    let w = ws[end]
    if let n = Int(w), n >= 0, n < 100_000 { return (n, end) }
    guard let n = numberWords[w], w != "half" else { return nil }
    if (1...9).contains(n) {
      if end >= 1, let t = tens[ws[end - 1]] { return (t + n, end - 1) }
      if end >= 2, ws[end - 1] == "-", let t = tens[ws[end - 2]] { return (t + n, end - 2) }
    }
    return (n, end)
  }

  /// +1 for "more than"/"over"/"just over", -1 for "almost"/"nearly"/"under"/"less than" right
  /// before the amount, so "over a month ago" lands past a 30-day boundary and "almost a
  /// month" inside it.
  static func adjustment(_ ws: [String], before first: Int) -> Int {
    guard first >= 1 else { return 0 }
    let p = ws[first - 1]
    let pp = first >= 2 ? ws[first - 2] : ""
    if p == "over" || (p == "than" && pp == "more") { return 1 }
    if p == "almost" || p == "nearly" || p == "under" || (p == "than" && pp == "less") {
      return -1
    }
    return 0
  }

  static let pastMarkers: Set<String> = [
    "ago", "back", "before", "earlier", "prior", "since", "previous", "past", "last",
  ]
  static let notPast: Set<String> = [
    "in", "after", "within", "for", "every", "next", "per", "each",
  ]
  static let filler: Set<String> = [
    "about", "around", "roughly", "maybe", "approximately", "like", "it", "was", "ago", "days",
    "day",
  ]
  static let ordinalSuffixes: Set<String> = ["st", "nd", "rd", "th"]
  /// The words (besides numbers in digits) without which `daysAgo` finds nothing: months,
  /// units, weekdays and the relative words.
  static let clueWords: Set<String> = Set(months.keys).union(units.keys).union(weekdays.keys)
    .union(["yesterday", "today", "now", "tonight", "morning"])

  /// Days between a point in time the user names and `today`; nil when none is named.
  ///
  /// Understands "today", "yesterday", "the day before yesterday", "N days/weeks/months ago"
  /// (numbers in digits or words, "twenty-nine", "a couple of", "a few", "one and a half"),
  /// "over"/"almost" (one day more/less), "last week/month/year",
  /// weekdays ("on Monday"), dates ("3 November", "November 3rd", "2026-11-03", "the 2nd"
  /// of this or last month), and a bare
  /// number of days ("10"). A date later than today is taken as last year's.
  public static func daysAgo(_ text: String, today: CivilDate) -> Int? {
    let ws = words(text)
    guard !ws.isEmpty else { return nil }
    // Every rule below needs a number in digits or one of these words; most messages have
    // neither.
    guard
      ws.contains(where: { w in
        w.utf8.contains { $0 >= 0x30 && $0 <= 0x39 } || clueWords.contains(w)
      })
    else { return nil }
    // ISO date.
    for (i, w) in ws.enumerated() where w.count == 4 && Int(w) != nil {
      if i + 4 < ws.count, ws[i + 1] == "-", ws[i + 3] == "-",
        let date = CivilDate(iso: "\(w)-\(ws[i + 2])-\(ws[i + 4])")
      {
        return max(0, today.dayNumber - date.dayNumber)
      }
    }
    // Day and month name, either order.
    for (i, w) in ws.enumerated() {
      guard let m = months[w] else { continue }
      if w == "may" || w == "mar" {
        // "may" is also a verb: require a day number next to it.
        let hasDay =
          (i > 0 && ordinalDay(ws[i - 1]) != nil)
          || (i + 1 < ws.count && ordinalDay(ws[i + 1]) != nil)
        if !hasDay { continue }
      }
      var day: Int?
      if i > 0, let d = ordinalDay(ws[i - 1]) {
        day = d
      } else if i > 1, ws[i - 1] == "of", let d = ordinalDay(ws[i - 2]) {
        day = d
      } else if i + 1 < ws.count, let d = ordinalDay(ws[i + 1]) {
        day = d
      }
      guard let day else { continue }
      var year = today.year
      for w2 in ws.dropFirst(i) { if w2.count == 4, let y = Int(w2), y > 1970 { year = y } }
      var date = CivilDate(
        year: year, month: m, day: min(day, CivilDate.daysIn(month: m, year: year)))
      if date > today { date.year -= 1 }
      return today.dayNumber - date.dayNumber
    }
    // "on the 2nd": a day of this month (or last month's, if it is still to come).
    for w in ws where w.count > 2 && ordinalSuffixes.contains(String(w.suffix(2))) {
      guard let day = ordinalDay(w), Int(w) == nil else { continue }
      var year = today.year
      var month = today.month
      if day > today.day {
        month -= 1
        if month == 0 {
          month = 12
          year -= 1
        }
      }
      guard day <= CivilDate.daysIn(month: month, year: year) else { continue }
      return today.dayNumber - CivilDate(year: year, month: month, day: day).dayNumber
    }
    // Relative words.
    if let i = ws.firstIndex(of: "yesterday") {
      if i >= 2, ws[i - 1] == "before", ws[i - 2] == "day" { return 2 }
      return 1
    }
    if ws.contains("today") || (ws.contains("just") && ws.contains("now"))
      || ws.contains("tonight") || (ws.contains("this") && ws.contains("morning"))
    {
      return 0
    }
    // N units (ago): "10 days", "twenty-nine days", "a couple of weeks", "one and a half
    // weeks", "a week and a half", "last week", "over a month". Not a duration that is not in
    // the past ("in 30 days", "after 30 days", "for a week"), and, without a word such as
    // "ago", not inside a longer message or question ("what happens after 30 days?").
    let hasPast = ws.contains(where: pastMarkers.contains)
    let durationsCount = hasPast || (ws.count <= 6 && !(text.contains("?") && ws.count > 3))
    for (i, w) in ws.enumerated() where durationsCount {
      guard let unit = units[w] else { continue }
      guard i > 0 else {
        if w == "fortnight" || w == "fortnights" { return 14 }
        continue
      }
      let prev = ws[i - 1]
      if prev == "last" || prev == "past" || prev == "previous" { return unit }
      var halves: Int?  // the amount, in halves of a unit
      var first = i - 1  // index of the amount's first word
      if prev == "half" {
        if i >= 4, ws[i - 2] == "a", ws[i - 3] == "and", let n = amount(ws, endingAt: i - 4) {
          halves = n.value * 2 + 1
          first = n.start
        } else {
          halves = 1
          first = i >= 2 && ws[i - 2] == "a" ? i - 2 : i - 1
        }
      } else if prev == "of", i >= 2, ws[i - 2] == "couple" || ws[i - 2] == "few" {
        halves = (numberWords[ws[i - 2]] ?? 1) * 2
        first = i >= 3 && ws[i - 3] == "a" ? i - 3 : i - 2
      } else if let n = amount(ws, endingAt: i - 1) {
        halves = n.value * 2
        first = n.start
      }
      guard var h = halves else {
        if w == "fortnight" || w == "fortnights" { return 14 }
        continue
      }
      if first >= 1, notPast.contains(ws[first - 1]) { continue }
      if i + 3 < ws.count, ws[i + 1] == "and", ws[i + 2] == "a", ws[i + 3] == "half" { h += 1 }
      let days = (h * unit + 1) / 2
      return max(0, days + adjustment(ws, before: first))
    }
    // Weekday.
    for w in ws {
      if let wd = weekdays[w] {
        let diff = (today.weekday - wd + 7) % 7
        return diff == 0 ? 7 : diff
      }
    }
    // A bare number: "10", "about 10".
    let rest = ws.filter { !filler.contains($0) }
    if rest.count == 1, let n = Int(rest[0]), n < 10_000 { return n }
    return nil
  }
}
