/// One thing that did not go as a transcript said.
public struct TranscriptProblem: Sendable {
  /// Line the problem is reported at (the expectation's line, or the turn's).
  public var line: Int
  /// A readable explanation; may span several lines (a diff).
  public var message: String
}

/// A failing turn: what was said, and every problem with the bot's answer.
public struct TurnFailure: Sendable {
  /// Line of the turn's `>` line; 0 for problems before the first turn.
  public var line: Int
  /// 1-based turn number.
  public var turn: Int
  /// The turn as written (`> text`).
  public var input: String
  public var problems: [TranscriptProblem]
  /// Exact reply lines that `--update` can rewrite: (lines to replace, new lines).
  public var update: ReplyUpdate?
}

/// A rewrite of a turn's exact reply lines from what the bot actually said.
public struct ReplyUpdate: Sendable {
  /// Lines to replace, each with its new text (`nil` deletes the line). Lines not listed stay.
  public var replacements: [Int: [String]]
}

/// The result of replaying one transcript.
public struct TranscriptOutcome: Sendable {
  public var path: String
  public var title: String
  public var tags: [String]
  /// Problems with the file itself (parse errors, unknown start flow).
  public var errors: [Diagnostic]
  public var failures: [TurnFailure]
  public var turns: Int
  /// Wall-clock time the replay took, for JUnit's `time` (set by ``TranscriptSuite``).
  public var seconds: Double = 0

  public var passed: Bool { errors.isEmpty && failures.isEmpty }

  /// Everything wrong, as `FILE:LINE: …` blocks with diffs.
  public var report: String {
    var out: [String] = []
    for d in errors { out.append(d.description) }
    for f in failures {
      out.append("\(path):\(f.line): turn \(f.turn): \(f.input)")
      for p in f.problems {
        let lines = p.message.split(separator: "\n", omittingEmptySubsequences: false)
        out.append("  \(path):\(p.line): " + (lines.first.map(String.init) ?? ""))
        for l in lines.dropFirst() { out.append("  " + l) }
      }
    }
    return out.joined(separator: "\n")
  }
}

/// Replays transcripts through the engine, the same one chat and serve use.
public struct TranscriptRunner {
  public let bot: Bot
  private let engines = EngineCache()

  public init(bot: Bot) { self.bot = bot }

  /// Building an engine compiles the matcher's prefilter, so one is kept per platform name.
  /// Not thread-safe: give each thread its own runner.
  final class EngineCache {
    var byPlatform: [String: Engine] = [:]
  }

  func engine(platform: String?) -> Engine {
    let key = platform ?? "\u{0}default"
    if let e = engines.byPlatform[key] { return e }
    var bot = self.bot
    if let platform { bot.settings["platform"] = platform }
    let e = Engine(bot: bot)
    engines.byPlatform[key] = e
    return e
  }

  /// Parses and replays the transcript file at `path`.
  public func run(file path: String, coverage: inout TranscriptCoverage?) -> (
    Transcript?, TranscriptOutcome
  ) {
    do {
      let t = try TranscriptParser.parse(file: path)
      return (t, run(t, coverage: &coverage))
    } catch {
      return (
        nil,
        TranscriptOutcome(
          path: path, title: path, tags: [], errors: error.diagnostics, failures: [], turns: 0)
      )
    }
  }

  /// Replays one transcript, recording what it reached into `coverage` if given.
  public func run(_ t: Transcript, coverage: inout TranscriptCoverage?) -> TranscriptOutcome {
    var outcome = TranscriptOutcome(
      path: t.path, title: t.title, tags: t.tags, errors: [], failures: [], turns: t.turns.count)
    let engine = engine(platform: t.platform)
    let bot = engine.bot
    var session = SessionState()
    if let flowId = t.startFlow {
      let at = SourceLocation(file: t.path, line: t.startLine ?? 1, column: 8)
      guard let flow = bot.flow(flowId) else {
        let known = bot.flows.map(\.id).sorted().joined(separator: ", ")
        outcome.errors.append(
          Diagnostic(.error, "the bot has no flow '\(flowId)' (flows: \(known))", at: at))
        return outcome
      }
      let stateId = t.startState ?? flow.start
      guard flow.state(stateId) != nil else {
        outcome.errors.append(
          Diagnostic(
            .error,
            "flow '\(flowId)' has no state '\(stateId)' (states: "
              + flow.stateOrder.joined(separator: ", ") + ")", at: at))
        return outcome
      }
      session = SessionState(flow: flowId, state: stateId, slots: t.startSlots)
    } else if !t.startSlots.isEmpty {
      session.slots = t.startSlots
    }
    for (index, turn) in t.turns.enumerated() {
      let before = session
      let result = engine.step(session, Turn(turn.input, today: t.today))
      coverage?.record(result, before: before)
      if let failure = check(turn, number: index + 1, result: result) {
        outcome.failures.append(failure)
      }
      session = result.state
    }
    return outcome
  }

  /// Replays only the inputs of `t` (ignoring its expectations) and returns the conversation,
  /// for re-recording a transcript with ``TranscriptRecorder``.
  public func record(_ t: Transcript) -> ConversationLog {
    let engine = engine(platform: t.platform)
    let bot = engine.bot
    var log = ConversationLog(
      platform: t.platform, today: t.today, startFlow: t.startFlow, startState: t.startState,
      startSlots: t.startSlots)
    var session = SessionState()
    if let flowId = t.startFlow, let flow = bot.flow(flowId) {
      session = SessionState(flow: flowId, state: t.startState ?? flow.start, slots: t.startSlots)
    } else {
      session.slots = t.startSlots
    }
    for turn in t.turns {
      let result = engine.step(session, Turn(turn.input, today: t.today))
      log.append(turn.input, result)
      session = result.state
    }
    return log
  }

  /// Checks one turn's result against its expectations; nil when everything holds.
  func check(_ turn: TranscriptTurn, number: Int, result: StepResult) -> TurnFailure? {
    var problems: [TranscriptProblem] = []
    var update: ReplyUpdate?
    if !ReplyDiff.matches(turn.replies, result.replies) {
      let diff = ReplyDiff.render(turn.replies, result.replies, indent: "    ")
      let first = turn.replies.first?.line ?? turn.line
      problems.append(
        TranscriptProblem(
          line: first, message: "replies differ (- expected, + actual):\n" + diff))
      update = Self.update(turn.replies, result.replies)
    }
    let s = result.state
    var expectedActions: [(String, String?)] = []
    var checksActions = false
    for a in turn.assertions {
      switch a.kind {
      case .intent(let want):
        if result.intent != want {
          problems.append(
            TranscriptProblem(
              line: a.line,
              message: "intent: expected \(want ?? "none"), got \(result.intent ?? "none")"
                + whyIntent(result)))
        }
      case .entities(let want):
        if result.entities != want {
          problems.append(
            TranscriptProblem(
              line: a.line,
              message: "entities: expected \(Self.show(want)), got \(Self.show(result.entities))"))
        }
      case .flow(let want):
        if s.flow != want {
          problems.append(
            TranscriptProblem(
              line: a.line, message: "flow: expected \(want ?? "none"), got \(s.flow ?? "none")"))
        }
      case .state(let flow, let state):
        let ok: Bool
        if flow == nil && state == nil {
          ok = s.flow == nil
        } else {
          ok = (flow == nil || s.flow == flow) && s.state == state
        }
        if !ok {
          let want = flow.map { "\($0).\(state ?? "")" } ?? state ?? "none"
          let got = s.flow.map { "\($0).\(s.state ?? "")" } ?? "none"
          problems.append(
            TranscriptProblem(line: a.line, message: "state: expected \(want), got \(got)"))
        }
      case .slot(let name, let want):
        let got = s.slots[name]
        if got != want {
          problems.append(
            TranscriptProblem(
              line: a.line,
              message: "slot \(name): expected \(want.map(TranscriptSyntax.slotValue) ?? "unset"), "
                + "got \(got.map(TranscriptSyntax.slotValue) ?? "unset")"))
        }
      case .action(let kind, let reason):
        checksActions = true
        expectedActions.append((kind, reason))
      case .noAction:
        checksActions = true
      case .ended(let want):
        if s.ended != want {
          problems.append(
            TranscriptProblem(
              line: a.line,
              message: "ended: expected \(want ? "yes" : "no"), got \(s.ended ? "yes" : "no")"))
        }
      case .never(let text):
        var places: [String] = []
        for (i, r) in result.replies.enumerated() where r.contains(text) {
          places.append("reply \(i + 1)")
        }
        for (k, v) in s.slots where v.description.contains(text) { places.append("slot \(k)") }
        for a in result.actions
        where a.slots.values.contains(where: { $0.contains(text) })
          || (a.topic ?? "").contains(text)
        {
          places.append("a \(a.type.rawValue) action")
        }
        if (result.trace.text ?? "").contains(text) { places.append("the trace") }
        if !places.isEmpty {
          problems.append(
            TranscriptProblem(
              line: a.line,
              message: "never: \"\(text)\" appears in " + places.joined(separator: ", ")))
        }
      }
    }
    if checksActions {
      let got = result.actions.map { ($0.type.rawValue, $0.reason) }
      let ok =
        got.count == expectedActions.count
        && zip(got, expectedActions).allSatisfy { g, e in g.0 == e.0 && (e.1 == nil || e.1 == g.1) }
      if !ok {
        let line =
          turn.assertions.first {
            switch $0.kind {
            case .action, .noAction: return true
            default: return false
            }
          }?.line ?? turn.line
        let want =
          expectedActions.isEmpty
          ? "none"
          : expectedActions.map { $0.0 + ($0.1.map { " (\($0))" } ?? "") }.joined(separator: ", ")
        let have = got.isEmpty ? "none" : got.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")
        problems.append(
          TranscriptProblem(line: line, message: "actions: expected \(want), got \(have)"))
      }
    }
    guard !problems.isEmpty else { return nil }
    return TurnFailure(
      line: turn.line, turn: number, input: Self.written(turn.input), problems: problems,
      update: update)
  }

  func whyIntent(_ result: StepResult) -> String {
    guard let cls = result.trace.classification else { return "" }
    var out = " (\(cls.reason)"
    if let w = cls.winner { out += "; pattern \(w.best.location)" }
    return out + ")"
  }

  static func show(_ e: [String: String]) -> String {
    if e.isEmpty { return "none" }
    return e.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
      .joined(separator: ", ")
  }

  /// `> text` or `> @event`, as the file writes it.
  public static func written(_ input: Turn.Input) -> String {
    switch input {
    case .text(let t): return "> " + TranscriptSyntax.escape(t)
    case .start: return "> @start"
    case .reset: return "> @reset"
    case .end: return "> @end"
    }
  }

  /// What `--update` may rewrite: a block of only exact lines becomes the actual replies;
  /// otherwise each exact line paired with a different reply takes that reply's text.
  static func update(_ expected: [ReplyExpectation], _ actual: [String]) -> ReplyUpdate? {
    let onlyExact = expected.allSatisfy {
      switch $0.kind {
      case .exact, .nothing: return true
      default: return false
      }
    }
    let newLines =
      actual.isEmpty ? ["<-"] : actual.map { $0.isEmpty ? "<" : "< " + TranscriptSyntax.escape($0) }
    if onlyExact, let first = expected.first {
      var r: [Int: [String]] = [first.line: newLines]
      for e in expected.dropFirst() { r[e.line] = [] }
      return ReplyUpdate(replacements: r)
    }
    var r: [Int: [String]] = [:]
    for op in ReplyDiff.align(expected, actual).ops {
      if case .mismatch(let e, let a) = op, case .exact = expected[e].kind {
        r[expected[e].line] = [actual[a].isEmpty ? "<" : "< " + TranscriptSyntax.escape(actual[a])]
      }
    }
    return r.isEmpty ? nil : ReplyUpdate(replacements: r)
  }
}

/// Applies `--update` rewrites to a transcript file's text.
public enum TranscriptUpdater {
  /// The text with each failure's exact reply lines rewritten; nil when nothing changes.
  /// Indentation of a replaced line is kept.
  public static func apply(_ failures: [TurnFailure], to text: String) -> (
    text: String, lines: Int
  )? {
    var replacements: [Int: [String]] = [:]
    for f in failures { for (k, v) in f.update?.replacements ?? [:] { replacements[k] = v } }
    guard !replacements.isEmpty else { return nil }
    var out: [String] = []
    var changed = 0
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      guard let new = replacements[i + 1] else {
        out.append(String(line))
        continue
      }
      let indent = String(line.prefix(while: { $0 == " " || $0 == "\t" }))
      for l in new { out.append(indent + l) }
      changed += 1
    }
    return (out.joined(separator: "\n"), changed)
  }
}
