import Foundation
import PCRE2

/// A transcript file that could not be read, with every problem found (as FILE:LINE:COL).
public struct TranscriptParseError: Error, Sendable, CustomStringConvertible {
  public var diagnostics: [Diagnostic]

  public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

  public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Reads the `.convo` transcript format (see the README's "Transcripts" section).
///
/// Line by line: `#` comments and blank lines are skipped; `key: value` lines before the first
/// `>` are the header; `>` starts a turn; `<`-lines expect reply lines in order; `key: value`
/// lines after a turn assert on its result.
public enum TranscriptParser {
  static let headerKeys = ["title", "tags", "platform", "today", "start", "slot"]
  static let assertionKeys = [
    "intent", "entities", "flow", "state", "slot", "action", "ended", "never",
  ]

  /// Reads a transcript file from disk.
  public static func parse(file path: String) throws(TranscriptParseError) -> Transcript {
    let at = SourceLocation(file: path, line: 1, column: 1)
    guard let data = FileManager.default.contents(atPath: path) else {
      throw TranscriptParseError([Diagnostic(.error, "cannot read file", at: at)])
    }
    guard let text = String(validating: data, as: UTF8.self) else {
      throw TranscriptParseError([Diagnostic(.error, "file is not valid UTF-8", at: at)])
    }
    return try parse(text, path: path)
  }

  /// Parses transcript text; `path` is used for the title default and in messages.
  public static func parse(_ text: String, path: String) throws(TranscriptParseError) -> Transcript
  {
    var p = Parser(path: path)
    for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      p.line(raw, number: i + 1)
    }
    p.closeTurn()
    if p.transcript.turns.isEmpty && p.diagnostics.isEmpty {
      p.error("the transcript has no turns (a turn starts with `> what the user says`)", 1, 1)
    }
    if !p.diagnostics.isEmpty {
      throw TranscriptParseError(p.diagnostics.sorted { $0.location < $1.location })
    }
    return p.transcript
  }
}

private struct Parser {
  let path: String
  var transcript: Transcript
  var diagnostics: [Diagnostic] = []
  var turn: TranscriptTurn?
  /// Alternatives of an any-of group being read, and its first line.
  var anyOf: (line: Int, alternatives: [String])?
  var seenHeader: Set<String> = []

  init(path: String) {
    self.path = path
    let base = (path as NSString).lastPathComponent
    let title =
      base.hasSuffix("." + TranscriptSyntax.fileExtension)
      ? String(base.dropLast(TranscriptSyntax.fileExtension.count + 1)) : base
    transcript = Transcript(path: path, title: title)
  }

  mutating func error(_ message: String, _ line: Int, _ column: Int) {
    diagnostics.append(
      Diagnostic(.error, message, at: SourceLocation(file: path, line: line, column: column)))
  }

  mutating func line(_ raw: Substring, number n: Int) {
    // Leading indentation is allowed; trailing spaces (and a CR) are dropped.
    var end = raw.endIndex
    while end > raw.startIndex, let c = raw[raw.index(before: end)].unicodeScalars.first,
      c == " " || c == "\t" || c == "\r"
    {
      end = raw.index(before: end)
    }
    let trimmedEnd = raw[raw.startIndex..<end]
    guard let start = trimmedEnd.firstIndex(where: { $0 != " " && $0 != "\t" }) else {
      return  // blank
    }
    let col = trimmedEnd.distance(from: trimmedEnd.startIndex, to: start) + 1
    let s = trimmedEnd[start...]
    if s.hasPrefix("#") { return }
    if s.hasPrefix("|") {
      guard anyOf != nil else {
        error("`|` continues an any-of group, which starts with `<| text`", n, col)
        return
      }
      let alternative = TranscriptSyntax.unescape(afterPrefix(s, 1))
      anyOf?.alternatives.append(alternative)
      return
    }
    flushAnyOf()
    if s.hasPrefix(">") {
      closeTurn()
      startTurn(afterPrefix(s, 1), line: n, column: col)
    } else if s.hasPrefix("<") {
      reply(s, line: n, column: col)
    } else {
      keyValue(s, line: n, column: col)
    }
  }

  /// The text after a prefix of `count` characters, without the one space that follows it.
  func afterPrefix(_ s: Substring, _ count: Int) -> Substring {
    var rest = s.dropFirst(count)
    if rest.first == " " { rest = rest.dropFirst() }
    return rest
  }

  mutating func startTurn(_ rest: Substring, line n: Int, column col: Int) {
    let input: Turn.Input
    if rest.hasPrefix("@") {
      switch rest {
      case "@start": input = .start
      case "@reset": input = .reset
      case "@end": input = .end
      default:
        error(
          "unknown event `\(rest)`; expected @start, @reset or @end (write `\\@` for a literal @)",
          n, col + 2)
        input = .text(String(rest))
      }
    } else {
      input = .text(TranscriptSyntax.unescape(rest))
    }
    turn = TranscriptTurn(line: n, input: input)
  }

  mutating func closeTurn() {
    flushAnyOf()
    guard let t = turn else { return }
    turn = nil
    if t.replies.isEmpty {
      error(
        "the turn says nothing about the bot's replies: add `<` lines, `<*` if anything goes, "
          + "or `<-` if the bot says nothing", t.line, 1)
    } else if t.replies.count > 1,
      let nothing = t.replies.first(where: { if case .nothing = $0.kind { true } else { false } })
    {
      error(
        "`<-` (the bot says nothing) cannot be combined with other reply lines", nothing.line, 1)
    }
    transcript.turns.append(t)
  }

  mutating func flushAnyOf() {
    guard let group = anyOf else { return }
    anyOf = nil
    turn?.replies.append(ReplyExpectation(line: group.line, kind: .anyOf(group.alternatives)))
  }

  mutating func reply(_ s: Substring, line n: Int, column col: Int) {
    guard turn != nil else {
      error("a reply expectation needs a turn before it (`> what the user says`)", n, col)
      return
    }
    let second = s.dropFirst().first
    let kind: ReplyExpectation.Kind
    switch second {
    case "*":
      guard s.count == 2 else {
        error("`<*` stands alone on its line (anything goes)", n, col + 2)
        return
      }
      kind = .anything
    case "-":
      guard s.count == 2 else {
        error("`<-` stands alone on its line (the bot says nothing)", n, col + 2)
        return
      }
      kind = .nothing
    case "~":
      let text = TranscriptSyntax.unescape(afterPrefix(s, 2))
      if text.isEmpty {
        error("`<~` needs the text the reply must contain", n, col)
        return
      }
      kind = .contains(text)
    case "/":
      guard let k = regex(s, line: n, column: col) else { return }
      kind = k
    case "|":
      anyOf = (n, [TranscriptSyntax.unescape(afterPrefix(s, 2))])
      return
    case nil, " ":
      kind = .exact(TranscriptSyntax.unescape(afterPrefix(s, 1)))
    default:
      error(
        "unknown reply expectation `<\(second.map(String.init) ?? "")`; expected `< text` (exact), "
          + "`<~ text` (contains), `</ regex /`, `<| a` + `| b` (any of), `<*` (anything) "
          + "or `<-` (nothing)", n, col)
      return
    }
    turn?.replies.append(ReplyExpectation(line: n, kind: kind))
  }

  /// `</ pattern /flags`, flags from `i`, `m`, `s`, `x`.
  mutating func regex(_ s: Substring, line n: Int, column col: Int) -> ReplyExpectation.Kind? {
    let body = s.dropFirst(2)
    guard let close = body.lastIndex(of: "/") else {
      error("a regex expectation ends with `/` (`</ pattern /`)", n, col + s.count)
      return nil
    }
    let flags = body[body.index(after: close)...]
    var options: CompileOptions = [.utf, .ucp]
    for (i, f) in flags.enumerated() {
      switch f {
      case "i": options.insert(.caseless)
      case "m": options.insert(.multiline)
      case "s": options.insert(.dotAll)
      case "x": options.insert(.extended)
      default:
        let fcol = col + 2 + body.distance(from: body.startIndex, to: close) + 1 + i
        error("unknown regex flag `\(f)`; expected i, m, s or x", n, fcol)
        return nil
      }
    }
    var inner = body[..<close]
    var leading = 0
    while inner.first == " " {
      inner = inner.dropFirst()
      leading += 1
    }
    while inner.last == " " { inner = inner.dropLast() }
    let source = String(inner)
    if source.isEmpty {
      error("empty regex (use `<*` if anything goes)", n, col)
      return nil
    }
    do {
      let pattern = try Pattern(source, options: options)
      return .regex(source: source, pattern: pattern)
    } catch let e {
      // PCRE2 reports a byte offset; turn it into a column.
      let bytes = e.offset ?? 0
      let prefix = String(decoding: Array(source.utf8.prefix(bytes)), as: UTF8.self)
      error("regex error: \(e.message)", n, col + 2 + leading + prefix.unicodeScalars.count)
      return nil
    }
  }

  mutating func keyValue(_ line: Substring, line n: Int, column col: Int) {
    // `key: value  # comment`: a ` #` ends the value on header and assertion lines.
    var s = line
    if let hash = s.range(of: " #") ?? s.range(of: "\t#") {
      s = s[..<hash.lowerBound]
      while s.last == " " || s.last == "\t" { s = s.dropLast() }
    }
    let key: Substring
    let value: Substring
    let valueCol: Int
    if s.hasPrefix("slot ") || s == "slot" {
      key = "slot"
      let rest = s.dropFirst(4)
      let trimmed = rest.drop(while: { $0 == " " })
      value = trimmed
      valueCol = col + 4 + (rest.count - trimmed.count)
    } else if let colon = s.firstIndex(of: ":") {
      key = s[..<colon]
      let rest = s[s.index(after: colon)...]
      let trimmed = rest.drop(while: { $0 == " " })
      value = trimmed
      valueCol = col + key.count + 1 + (rest.count - trimmed.count)
    } else {
      error(
        "cannot read this line: expected `> user text`, a `<` reply expectation, `key: value` "
          + "or a `# comment`", n, col)
      return
    }
    if turn == nil {
      header(String(key), value, line: n, column: col, valueColumn: valueCol)
    } else {
      assertion(String(key), value, line: n, column: col, valueColumn: valueCol)
    }
  }

  mutating func header(
    _ key: String, _ value: Substring, line n: Int, column col: Int, valueColumn vcol: Int
  ) {
    if key != "slot" {
      if seenHeader.contains(key) {
        error("`\(key):` is given twice", n, col)
        return
      }
      seenHeader.insert(key)
    }
    switch key {
    case "title":
      transcript.title = String(value)
    case "tags":
      transcript.tags = value.split(separator: ",").map {
        $0.trimmingCharacters(in: .whitespaces)
      }.filter { !$0.isEmpty }
    case "platform":
      if value.isEmpty { error("`platform:` needs a name", n, vcol) }
      transcript.platform = String(value)
    case "today":
      guard let d = CivilDate(iso: String(value)) else {
        error("`today:` must be a date written YYYY-MM-DD", n, vcol)
        return
      }
      transcript.today = d
    case "start":
      let parts = value.split(separator: ".", omittingEmptySubsequences: false)
      guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
        error("`start:` is a flow, or flow.state", n, vcol)
        return
      }
      transcript.startFlow = String(parts[0])
      transcript.startState = parts.count == 2 ? String(parts[1]) : nil
      transcript.startLine = n
    case "slot":
      guard let (name, v) = slot(value, line: n, column: vcol) else { return }
      guard let v else {
        error("`slot \(name) unset` is an assertion; the header sets slots with `=`", n, vcol)
        return
      }
      transcript.startSlots[name] = v
    case let k where TranscriptParser.assertionKeys.contains(k):
      error("`\(k):` asserts on a turn, so it goes after a `>` line", n, col)
    default:
      error(unknownKey(key, TranscriptParser.headerKeys, "header"), n, col)
    }
  }

  func unknownKey(_ key: String, _ known: [String], _ what: String) -> String {
    "unknown \(what) key `\(key)`; expected one of: " + known.joined(separator: ", ")
  }

  /// `name = value` or `name unset`; nil on error, `(name, nil)` for unset.
  mutating func slot(_ value: Substring, line n: Int, column vcol: Int) -> (String, SlotValue?)? {
    if value.hasSuffix(" unset") {
      let name = value.dropLast(6).trimmingCharacters(in: .whitespaces)
      if name.isEmpty || name.contains(" ") {
        error("expected `slot NAME unset`", n, vcol)
        return nil
      }
      return (name, nil)
    }
    guard let eq = value.firstIndex(of: "=") else {
      error("expected `slot NAME = VALUE` (or `slot NAME unset`)", n, vcol)
      return nil
    }
    let name = value[..<eq].trimmingCharacters(in: .whitespaces)
    let raw = value[value.index(after: eq)...].trimmingCharacters(in: .whitespaces)
    if name.isEmpty || name.contains(" ") {
      error("expected a slot name before `=`", n, vcol)
      return nil
    }
    return (name, parseValue(Substring(raw)))
  }

  /// A bare integer is a number; `"…"` is always a string; anything else is a string.
  func parseValue(_ raw: Substring) -> SlotValue {
    if raw.count >= 2, raw.first == "\"", raw.last == "\"" {
      return .string(TranscriptSyntax.unescape(raw.dropFirst().dropLast()))
    }
    if let n = Int(raw) { return .number(n) }
    return .string(String(raw))
  }

  mutating func assertion(
    _ key: String, _ value: Substring, line n: Int, column col: Int, valueColumn vcol: Int
  ) {
    let kind: TurnAssertion.Kind
    let isNone = value == "none"
    switch key {
    case "intent":
      guard !value.isEmpty else { return error("`intent:` needs an intent id or `none`", n, vcol) }
      kind = .intent(isNone ? nil : String(value))
    case "entities":
      guard let e = entities(value, line: n, column: vcol) else { return }
      kind = .entities(e)
    case "flow":
      guard !value.isEmpty else { return error("`flow:` needs a flow id or `none`", n, vcol) }
      kind = .flow(isNone ? nil : String(value))
    case "state":
      guard !value.isEmpty else {
        return error("`state:` needs flow.state, a state id, or `none`", n, vcol)
      }
      if isNone {
        kind = .state(flow: nil, state: nil)
      } else if let dot = value.firstIndex(of: ".") {
        kind = .state(flow: String(value[..<dot]), state: String(value[value.index(after: dot)...]))
      } else {
        kind = .state(flow: nil, state: String(value))
      }
    case "slot":
      guard let (name, v) = slot(value, line: n, column: vcol) else { return }
      kind = .slot(name, v)
    case "action":
      if isNone {
        kind = .noAction
      } else {
        var name = value
        var reason: String?
        if let open = value.firstIndex(of: "("), value.last == ")" {
          name = value[..<open]
          reason = value[value.index(after: open)..<value.index(before: value.endIndex)]
            .trimmingCharacters(in: .whitespaces)
        }
        let k = name.trimmingCharacters(in: .whitespaces)
        guard Action.Kind(rawValue: k) != nil else {
          return error("unknown action `\(k)`; expected handoff (or `none`)", n, vcol)
        }
        kind = .action(kind: k, reason: reason)
      }
    case "ended":
      switch value {
      case "yes", "true": kind = .ended(true)
      case "no", "false": kind = .ended(false)
      default: return error("`ended:` is yes or no", n, vcol)
      }
    case "never":
      guard !value.isEmpty else {
        return error("`never:` needs the text that must not appear", n, vcol)
      }
      kind = .never(TranscriptSyntax.unescape(value))
    case let k where TranscriptParser.headerKeys.contains(k):
      return error("`\(k):` belongs in the header, before the first `>` line", n, col)
    default:
      return error(unknownKey(key, TranscriptParser.assertionKeys, "assertion"), n, col)
    }
    turn?.assertions.append(TurnAssertion(line: n, kind: kind))
  }

  /// `k=v, k2="v, with comma"` or `none`.
  mutating func entities(_ value: Substring, line n: Int, column vcol: Int) -> [String: String]? {
    if value == "none" { return [:] }
    var out: [String: String] = [:]
    var i = value.startIndex
    while i < value.endIndex {
      while i < value.endIndex, value[i] == " " || value[i] == "," { i = value.index(after: i) }
      guard i < value.endIndex else { break }
      guard let eq = value[i...].firstIndex(of: "=") else {
        error(
          "expected `entities: name=value, …` (or `none`)", n,
          vcol + value.distance(from: value.startIndex, to: i))
        return nil
      }
      let name = value[i..<eq].trimmingCharacters(in: .whitespaces)
      var j = value.index(after: eq)
      while j < value.endIndex, value[j] == " " { j = value.index(after: j) }
      var v = ""
      if j < value.endIndex, value[j] == "\"" {
        var k = value.index(after: j)
        var closed = false
        while k < value.endIndex {
          if value[k] == "\\", value.index(after: k) < value.endIndex {
            v.append(contentsOf: TranscriptSyntax.unescape(value[k...value.index(after: k)]))
            k = value.index(k, offsetBy: 2)
            continue
          }
          if value[k] == "\"" {
            closed = true
            k = value.index(after: k)
            break
          }
          v.append(value[k])
          k = value.index(after: k)
        }
        if !closed {
          error(
            "unclosed `\"` in entities", n, vcol + value.distance(from: value.startIndex, to: j))
          return nil
        }
        i = k
      } else {
        let stop = value[j...].firstIndex(of: ",") ?? value.endIndex
        v = value[j..<stop].trimmingCharacters(in: .whitespaces)
        i = stop
      }
      out[name] = v
    }
    return out
  }
}
