import PCRE2

/// The result of checking a bot: every finding, and the bot when it loaded.
public struct CheckResult: Sendable {
  /// Findings sorted by file, line and column.
  public var diagnostics: [Diagnostic]
  /// The loaded bot; nil when it had load errors (which are then the diagnostics).
  public var bot: Bot?

  public func count(_ severity: Diagnostic.Severity) -> Int {
    diagnostics.filter { $0.severity == severity }.count
  }

  /// The findings with every warning made an error (`check --strict`).
  public func strict() -> CheckResult {
    var out = self
    out.diagnostics = diagnostics.map {
      var d = $0
      if d.severity == .warning { d.severity = .error }
      return d
    }
    return out
  }

  /// True when nothing is an error.
  public var passed: Bool { count(.error) == 0 }

  /// A JSON-compatible dictionary for editors and CI: `diagnostics` (file, line, column,
  /// severity, message), `errors`, `warnings`, `loaded`.
  public func object() -> [String: Any] {
    [
      "diagnostics": diagnostics.map { d -> [String: Any] in
        [
          "file": d.location.file, "line": d.location.line, "column": d.location.column,
          "severity": d.severity.rawValue, "message": d.message,
        ]
      },
      "errors": count(.error),
      "warnings": count(.warning),
      "loaded": bot != nil,
    ]
  }
}

/// Static checks of a bot, reported compiler-style (see the README's "Authoring tools").
///
/// Errors are mistakes with a certain effect (an example the matcher does not give its intent,
/// a reply that uses a slot no path sets); warnings are likely mistakes (a state nothing leads
/// to, a pattern that can backtrack catastrophically); notes are information that needs no
/// change (an overlap that priority settles on purpose).
public enum Checker {
  /// Loads the bot in `directory` and checks it; load errors are returned as they are.
  public static func check(directory: String) -> CheckResult {
    do {
      let bot = try BotLoader.load(directory: directory)
      return CheckResult(diagnostics: check(bot), bot: bot)
    } catch {
      return CheckResult(diagnostics: error.diagnostics, bot: nil)
    }
  }

  /// Checks a loaded bot. `texts` gives file contents for bots loaded from memory; otherwise
  /// files are re-read from disk to place findings inside patterns and replies.
  public static func check(_ bot: Bot, texts: [String: String] = [:]) -> [Diagnostic] {
    var run = CheckRun(bot: bot, map: SourceMap(texts: texts))
    run.checkPatterns()
    run.checkExamples()
    run.checkFlows()
    run.checkUnusedIntents()
    run.checkTriggers()
    run.checkResponses()
    run.checkAnswerConflicts()
    var seen = Set<Diagnostic>()
    return run.diagnostics
      .filter { seen.insert($0).inserted }
      .sorted { ($0.location, $0.severity) < ($1.location, $1.severity) }
  }
}

private struct CheckRun {
  let bot: Bot
  let map: SourceMap
  let engine: Engine
  let slotFlow: SlotFlow
  var diagnostics: [Diagnostic] = []
  /// Backtracking findings inside fragments already reported (fragment and message).
  var reportedFragments = Set<String>()

  init(bot: Bot, map: SourceMap) {
    self.bot = bot
    self.map = map
    self.engine = Engine(bot: bot)
    self.slotFlow = SlotFlow(bot: bot)
  }

  mutating func add(_ severity: Diagnostic.Severity, _ message: String, _ at: SourceLocation) {
    diagnostics.append(Diagnostic(severity, message, at: at))
  }

  /// Intents whose response cancels the current flow.
  var cancelIntents: [String] {
    bot.responses.values.filter { $0.behavior == .cancel }.map(\.intent).sorted()
  }

  // MARK: Patterns

  mutating func checkPatterns() {
    for intent in bot.intents {
      if intent.patterns.isEmpty {
        add(.warning, "intent '\(intent.id)' has no patterns, so it never matches", intent.location)
      }
      if intent.examples.isEmpty && !intent.patterns.isEmpty {
        add(
          .note, "intent '\(intent.id)' has no examples, so check cannot test its patterns",
          intent.location)
      }
      for p in intent.patterns {
        checkShape(p.source, at: p.location)
        if matchesEmpty(p.compiled) {
          add(
            .warning,
            "pattern of '\(intent.id)' matches the empty string, so it matches every message",
            p.location)
        }
      }
      for p in intent.exclusions {
        checkShape(p.source, at: p.location)
        if matchesEmpty(p.compiled) {
          add(
            .warning,
            "exclusion of '\(intent.id)' matches the empty string, so the intent never matches",
            p.location)
        }
      }
    }
    // The same pattern twice: redundant in one intent, a standing tie between two.
    var first: [String: (intent: String, location: SourceLocation)] = [:]
    for intent in bot.intents {
      for p in intent.patterns {
        guard let earlier = first[p.source] else {
          first[p.source] = (intent.id, p.location)
          continue
        }
        add(
          .warning,
          earlier.intent == intent.id
            ? "pattern repeats the one at \(earlier.location); remove one"
            : "pattern is the same as one of '\(earlier.intent)' at \(earlier.location), so the "
              + "two intents always match together and ranking alone decides", p.location)
      }
    }
    for flow in bot.flows {
      for sid in flow.stateOrder {
        for fill in flow.state(sid)?.slots ?? [] {
          if case .pattern(let p) = fill.source {
            let at = map.value(ofKey: "pattern", inMappingAt: fill.location) ?? fill.location
            checkShape(p.source, at: at)
          }
        }
      }
    }
  }

  mutating func checkShape(_ source: String, at location: SourceLocation) {
    let expansion = bot.fragmentExpansions[location]
    for f in BacktrackingAnalyzer.analyze(source) {
      let (offset, fragment) = expansion?.originalOffset(of: f.offset) ?? (f.offset, nil)
      var message = "pattern may backtrack catastrophically: " + f.message
      if let fragment {
        // A fragment is reported once, where it is first used.
        guard reportedFragments.insert(fragment + "\u{0}" + f.message).inserted else { continue }
        message += " (inside fragment '\(fragment)')"
      }
      add(.warning, message, map.location(ofByte: offset, in: location))
    }
  }

  func matchesEmpty(_ p: Pattern) -> Bool {
    let scratch = MatchScratch(groups: p.captureCount)
    return ((try? p.firstMatch(in: "", scratch: scratch)) ?? nil) != nil
  }

  // MARK: Examples

  mutating func checkExamples() {
    for intent in bot.intents where !intent.patterns.isEmpty {
      let expected: Set<String> = intent.contextual ? [intent.id] : []
      for example in intent.examples {
        let cls = classify(example.text, expected)
        reportLimits(cls, at: example.location)
        let ours = cls.candidates.first { $0.intent == intent.id }
        guard let winner = cls.winner, winner.intent == intent.id else {
          add(
            .error,
            "example \"\(example.text)\" should get '\(intent.id)' but gets "
              + (cls.winner.map { "'\($0.intent)'" } ?? "no intent (fallback)") + ": "
              + whyNot(intent, ours, cls),
            example.location)
          continue
        }
        for other in cls.candidates.dropFirst() where other.excludedBy == nil {
          let why = Matcher.reason([winner, other])
          let deliberate = winner.priority != other.priority || winner.expected != other.expected
          add(
            deliberate ? .note : .warning,
            "example \"\(example.text)\" of '\(intent.id)' also matches '\(other.intent)' "
              + "(pattern at \(other.best.location) matches \"\(other.best.text)\"); "
              + "'\(intent.id)' wins because \(why)"
              + (deliberate ? "" : "; add an exclusion or make the patterns distinct"),
            example.location)
        }
      }
      for counter in intent.counterExamples {
        let cls = classify(counter.text, expected)
        reportLimits(cls, at: counter.location)
        guard let winner = cls.winner, winner.intent == intent.id else { continue }
        add(
          .error,
          "counter-example \"\(counter.text)\" gets '\(intent.id)' anyway: pattern at "
            + "\(winner.best.location) matches \"\(winner.best.text)\"; add an exclusion "
            + "or narrow the pattern",
          counter.location)
      }
    }
  }

  func classify(_ text: String, _ expected: Set<String>) -> Classification {
    engine.matcher.classify(engine.redact(text).text, expected: expected)
  }

  mutating func reportLimits(_ cls: Classification, at location: SourceLocation) {
    for e in cls.limitErrors {
      add(
        .warning, "matching this text hit a PCRE2 limit (the pattern counts as not matching): \(e)",
        location)
    }
  }

  /// Why `intent` did not win: no pattern matched, an exclusion vetoed it, or it ranked lower.
  func whyNot(_ intent: Intent, _ ours: Candidate?, _ cls: Classification) -> String {
    guard let ours else {
      return "no pattern of '\(intent.id)' matches it (normalised: \"\(cls.normalized)\")"
    }
    if let x = ours.excludedBy {
      return
        "'\(intent.id)' is excluded by `\(x.source)` (\(x.location)), which matches \"\(x.text)\""
    }
    guard let winner = cls.winner else { return cls.reason }
    return Matcher.reason([winner, ours])
  }

  // MARK: Flows

  mutating func checkFlows() {
    for flow in bot.flows {
      let reachable = reachableStates(flow)
      for sid in flow.stateOrder {
        guard let state = flow.state(sid) else { continue }
        let key = map.keyLocation(ofValueAt: state.location)
        guard reachable.contains(sid) else {
          add(
            .warning,
            "state '\(sid)' of flow '\(flow.id)' is unreachable: no `on`, `next` or `default` "
              + "leads to it from the start state '\(flow.start)'", key)
          continue
        }
        let entry = slotFlow.entry(flow.id, sid) ?? []
        let answered = SlotFlow.afterAnswer(state, entry)
        checkNext(flow, state, entry)
        let canMoveOn = checkOn(flow, state, answered)
        if isWaiting(state) && !canMoveOn && state.fallback == nil {
          reportStuck(flow, state, at: key)
        }
        checkReprompts(flow, state)
        // The message that started the flow may answer states on the way in: it fills their
        // slots before they ask (Engine.answerFromTrigger).
        let asking =
          !state.transitions.isEmpty && triggerReachable(flow).contains(sid) ? answered : entry
        checkTemplates(flow, state, entry: entry, asking: asking, answered: answered)
        checkSlotFills(state)
      }
      checkNextLoops(flow)
    }
  }

  func reachableStates(_ flow: Flow) -> Set<String> {
    var seen: Set<String> = [flow.start]
    var work = [flow.start]
    while let sid = work.popLast() {
      guard let s = flow.state(sid) else { continue }
      for t in allTransitions(s) {
        if case .state(let next) = t.target, seen.insert(next).inserted { work.append(next) }
      }
    }
    return seen
  }

  /// States the flow's first message can reach by itself: from the start through `next` and
  /// `on` transitions (the engine tries the message as an answer to each question on the way).
  func triggerReachable(_ flow: Flow) -> Set<String> {
    var seen: Set<String> = [flow.start]
    var work = [flow.start]
    while let sid = work.popLast() {
      guard let s = flow.state(sid) else { continue }
      for t in s.next + s.transitions {
        if case .state(let next) = t.target, seen.insert(next).inserted { work.append(next) }
      }
    }
    return seen
  }

  func allTransitions(_ s: FlowState) -> [Transition] {
    s.transitions + s.next + (s.fallback.map { [$0] } ?? [])
  }

  /// Whether the state stops to wait for a message (rather than ending or moving on by itself).
  func isWaiting(_ s: FlowState) -> Bool {
    if s.isTerminal { return false }
    let automatic = s.next.filter { $0.intents.isEmpty }
    if automatic.contains(where: { $0.condition == nil }) { return false }
    return !covers(automatic.compactMap(\.condition))
  }

  /// Whether some pair of these conditions are complements (`x > 3` / `x <= 3`,
  /// `x is set` / `x is not set`), so one of them always holds once the slot is set.
  func covers(_ conditions: [Condition]) -> Bool {
    let single = conditions.compactMap { $0.clauses.count == 1 ? $0.clauses[0] : nil }
    let complement: [Condition.Operator: Condition.Operator] = [
      .lt: .ge, .ge: .lt, .gt: .le, .le: .gt, .eq: .ne, .ne: .eq,
    ]
    for a in single {
      for b in single {
        switch (a, b) {
        case (.isSet(let s1, let e1), .isSet(let s2, let e2)) where s1 == s2 && e1 != e2:
          return true
        case (.compare(let s1, let o1, let v1), .compare(let s2, let o2, let v2))
        where s1 == s2 && v1 == v2 && complement[o1] == o2:
          return true
        default: continue
        }
      }
    }
    return false
  }

  /// Checks `next:`; intents there never match, conditions need slots set on entry.
  mutating func checkNext(_ flow: Flow, _ state: FlowState, _ entry: Set<String>) {
    for (k, t) in state.next.enumerated() {
      if !t.intents.isEmpty {
        add(
          .error,
          "`next` is taken on entering '\(state.id)', before any answer, so `intent:` here "
            + "never matches; move this transition under `on:`", t.location)
        continue
      }
      if let earlier = state.next[..<k].first(where: { $0.intents.isEmpty && $0.condition == nil })
      {
        add(
          .warning,
          "this `next` is never taken: the one at \(earlier.location) always applies first",
          t.location)
        continue
      }
      _ = conditionCanHold(t, flow, state, slots: entry, when: "entering")
    }
  }

  /// Checks `on:` and `default`; returns whether some `on` transition can be taken.
  mutating func checkOn(_ flow: Flow, _ state: FlowState, _ answered: Set<String>) -> Bool {
    var any = false
    for (k, t) in state.transitions.enumerated() {
      let shadow = state.transitions[..<k].first { e in
        e.condition == nil
          && (e.intents.isEmpty || (!t.intents.isEmpty && Set(t.intents).isSubset(of: e.intents)))
      }
      if let shadow {
        add(
          .warning,
          "this transition is never taken: the one at \(shadow.location) applies to every "
            + "message it would", t.location)
        continue
      }
      var ok = true
      if !t.intents.isEmpty {
        let live = t.intents.filter { !(bot.intent($0)?.patterns.isEmpty ?? true) }
        if live.isEmpty {
          add(
            .warning,
            "this transition is never taken: "
              + t.intents.map { "'\($0)'" }.joined(separator: ", ")
              + " \(t.intents.count == 1 ? "has" : "have") no patterns", t.location)
          ok = false
        }
      }
      if !conditionCanHold(t, flow, state, slots: answered, when: "answering") { ok = false }
      if ok { any = true }
    }
    if let d = state.fallback, !d.intents.isEmpty || d.condition != nil {
      let ignored = [d.intents.isEmpty ? nil : "`intent:`", d.condition == nil ? nil : "`if:`"]
        .compactMap { $0 }.joined(separator: " and ")
      add(
        .warning,
        "`default` is taken whenever no transition fits, whatever the intent or slots; "
          + "\(ignored) here \(ignored.contains(" and ") ? "are" : "is") ignored", d.location)
    }
    return any
  }

  /// Reports a condition that reads a slot no path sets; returns whether it can hold.
  mutating func conditionCanHold(
    _ t: Transition, _ flow: Flow, _ state: FlowState, slots: Set<String>, when: String
  ) -> Bool {
    guard let c = t.condition else { return true }
    for clause in c.clauses {
      let slot: String
      switch clause {
      case .compare(let s, _, _): slot = s
      case .isSet(let s, let expected):
        if !expected { continue }
        slot = s
      }
      if slots.contains(slot) { continue }
      let condAt = map.value(ofKey: "if", inMappingAt: t.location) ?? t.location
      let offset =
        c.source.range(of: slot).map {
          c.source.utf8.distance(from: c.source.startIndex, to: $0.lowerBound)
        } ?? 0
      add(
        .warning,
        "condition `\(c.source)` never holds: no path to '\(state.id)' in flow '\(flow.id)' "
          + "sets slot '\(slot)' before \(when)" + whereSet(slot, flow),
        map.location(ofByte: offset, in: condAt))
      return false
    }
    return true
  }

  /// " (it is set in states a, b)" — where a slot does get set in the flow, if anywhere.
  func whereSet(_ slot: String, _ flow: Flow) -> String {
    var states: [String] = []
    for sid in flow.stateOrder {
      guard let s = flow.state(sid) else { continue }
      if s.slots.contains(where: { $0.slot == slot })
        || allTransitions(s).contains(where: { $0.set[slot] != nil })
      {
        states.append("'\(sid)'")
      }
    }
    return states.isEmpty ? "" : " (it is set in \(states.joined(separator: ", ")))"
  }

  mutating func reportStuck(_ flow: Flow, _ state: FlowState, at key: SourceLocation) {
    let cancels = cancelIntents
    let why =
      state.transitions.isEmpty
      ? "it has no `on` transitions and no `default`"
      : "none of its `on` transitions can be taken and it has no `default`"
    if cancels.isEmpty {
      add(
        .error,
        "state '\(state.id)' of flow '\(flow.id)' waits for an answer but has no way forward "
          + "or out: \(why), and the bot has no cancel intent; only escalation after "
          + "\(state.maxTries) failed answers ends it", key)
    } else {
      add(
        .warning,
        "state '\(state.id)' of flow '\(flow.id)' waits for an answer but no answer moves it "
          + "forward: \(why); only " + cancels.map { "'\($0)'" }.joined(separator: ", ")
          + " or escalation after \(state.maxTries) failed answers leave it", key)
    }
  }

  /// Re-prompts that are never said, and `default` loops that re-ask without a limit.
  mutating func checkReprompts(_ flow: Flow, _ state: FlowState) {
    if state.fallback != nil, let first = state.reprompts.first?.alternatives.first {
      add(
        .warning,
        "the reprompts of '\(state.id)' are never said: an answer that fits no transition "
          + "takes `default` instead", first.location)
    } else if isWaiting(state) {
      // Try k (1-based) says reprompt k; try max_tries escalates.
      for (k, line) in state.reprompts.enumerated() where k + 1 >= state.maxTries {
        guard let t = line.alternatives.first else { continue }
        add(
          .warning,
          "reprompt \(k + 1) of '\(state.id)' is never said: after \(state.maxTries) failed "
            + "answer\(state.maxTries == 1 ? "" : "s") (max_tries) the state escalates to a "
            + "person first", t.location)
      }
    }
    guard let d = state.fallback, case .state(let target) = d.target else { return }
    // Following `default` and automatic steps only: does a wrong answer come back here?
    var seen: Set<String> = [target]
    var work: [(String, [String])] = [(target, [target])]
    while let (sid, path) = work.popLast() {
      if sid == state.id {
        let via = path.count > 1 ? " (via " + path.dropLast().joined(separator: " → ") + ")" : ""
        add(
          .warning,
          "re-prompt without a limit: an answer that fits nothing takes `default` back to "
            + "'\(state.id)'\(via), which restarts its tries, so the question repeats forever "
            + "and never escalates; let `default` go elsewhere or rely on max_tries", d.location)
        return
      }
      guard let s = flow.state(sid) else { continue }
      for t in s.next.filter({ $0.intents.isEmpty }) + (s.fallback.map { [$0] } ?? []) {
        if case .state(let n) = t.target, seen.insert(n).inserted { work.append((n, path + [n])) }
      }
    }
  }

  /// Placeholders naming slots that no path to the state sets.
  mutating func checkTemplates(
    _ flow: Flow, _ state: FlowState, entry: Set<String>, asking: Set<String>,
    answered: Set<String>
  ) {
    let groups: [([ReplyLine], Set<String>, String)] = [
      (state.say, entry, "entering"),
      (state.ask.map { [$0] } ?? [], asking, "asking"),
      (state.reprompts, answered, "re-prompting"),
    ]
    for (lines, slots, when) in groups {
      for t in lines.flatMap(\.alternatives) {
        for name in t.placeholders {
          if slots.contains(name) || Engine.builtinPlaceholders.contains(name)
            || bot.settings[name] != nil
          {
            continue
          }
          let offset =
            t.raw.range(of: "{\(name)}").map {
              t.raw.utf8.distance(from: t.raw.startIndex, to: $0.lowerBound)
            } ?? 0
          add(
            .error,
            "reply uses `{\(name)}`, but no path to '\(state.id)' in flow '\(flow.id)' sets "
              + "slot '\(name)' before \(when), so it would be blank" + whereSet(name, flow),
            map.location(ofByte: offset, in: t.location))
        }
      }
    }
  }

  /// Entity fills that name a capture no intent pattern has.
  mutating func checkSlotFills(_ state: FlowState) {
    for fill in state.slots {
      guard case .entity(let name) = fill.source else { continue }
      if bot.intents.contains(where: { i in
        i.patterns.contains { $0.compiled.groupNumber(named: name) != nil }
      }) {
        continue
      }
      let at = map.value(ofKey: "entity", inMappingAt: fill.location) ?? fill.location
      add(
        .warning,
        "slot '\(fill.slot)' is filled from entity '\(name)', but no intent pattern has a "
          + "named group `(?<\(name)>…)`, so it is never set", at)
    }
  }

  /// Unconditional `next` steps that lead round in a circle.
  mutating func checkNextLoops(_ flow: Flow) {
    var reported = Set<String>()
    for sid in flow.stateOrder {
      var cur = sid
      var path: [String] = []
      while let s = flow.state(cur),
        let t = s.next.first(where: { $0.intents.isEmpty && $0.condition == nil }),
        case .state(let n) = t.target
      {
        path.append(cur)
        if n == sid {
          if reported.isDisjoint(with: path),
            let first = flow.state(sid)?.next.first(where: {
              $0.intents.isEmpty && $0.condition == nil
            })
          {
            add(
              .error,
              "`next` steps loop without waiting for the user: "
                + (path + [sid]).joined(separator: " → ")
                + " (the engine gives up after 32 steps and ends the flow)", first.location)
          }
          reported.formUnion(path)
          break
        }
        if path.contains(n) || path.count > flow.states.count { break }
        cur = n
      }
    }
  }

  // MARK: Answers in context

  /// In each state that waits for an answer, examples of one expected intent that another
  /// expected intent wins, when that sends the conversation somewhere else.
  mutating func checkAnswerConflicts() {
    for flow in bot.flows {
      let reachable = reachableStates(flow)
      for sid in flow.stateOrder where reachable.contains(sid) {
        guard let state = flow.state(sid), isWaiting(state) else { continue }
        let expected = state.expectedIntents
        for id in expected.sorted() {
          guard let intent = bot.intent(id) else { continue }
          let mine = firstTransition(state, for: id)
          for example in intent.examples {
            let cls = classify(example.text, expected)
            guard let winner = cls.winner, winner.intent != id, expected.contains(winner.intent)
            else { continue }
            let theirs = firstTransition(state, for: winner.intent)
            if let mine, let theirs, mine.location == theirs.location { continue }
            let ours = cls.candidates.first { $0.intent == id }
            add(
              .warning,
              "in state '\(sid)' of flow '\(flow.id)', which expects both '\(id)' and "
                + "'\(winner.intent)', example \"\(example.text)\" of '\(id)' gets '\(winner.intent)' and goes "
                + "\(destination(theirs)) instead of \(destination(mine)): "
                + whyNot(intent, ours, cls), example.location)
          }
        }
      }
    }
  }

  /// The `on` transition (or `default`) an intent would take in a state, ignoring conditions.
  func firstTransition(_ state: FlowState, for intent: String) -> Transition? {
    state.transitions.first { $0.intents.isEmpty || $0.intents.contains(intent) } ?? state.fallback
  }

  func destination(_ t: Transition?) -> String {
    guard let t else { return "nowhere (a re-prompt)" }
    switch t.target {
    case .state(let s): return "to '\(s)'"
    case .flow(let f): return "to flow '\(f)'"
    case .end: return "to the end of the flow"
    }
  }

  /// Response replies said outside flows that use slots, which are only set inside one.
  mutating func checkResponses() {
    for intent in bot.responses.keys.sorted() {
      guard let r = bot.responses[intent] else { continue }
      let idle: [ReplyLine]
      switch r.behavior {
      case .answer, .reply, .handoff, .end: idle = r.say
      case .cancel, .repeat: idle = r.sayIdle.isEmpty ? r.say : r.sayIdle
      }
      for t in idle.flatMap(\.alternatives) {
        for name in t.placeholders
        where !Engine.builtinPlaceholders.contains(name) && bot.settings[name] == nil {
          let offset =
            t.raw.range(of: "{\(name)}").map {
              t.raw.utf8.distance(from: t.raw.startIndex, to: $0.lowerBound)
            } ?? 0
          add(
            .warning,
            "response '\(intent)' is also said outside flows, where slot '\(name)' is never "
              + "set, so `{\(name)}` would be blank there",
            map.location(ofByte: offset, in: t.location))
        }
      }
    }
  }

  /// Flows whose trigger only counts where a state expects it, so they never start.
  mutating func checkTriggers() {
    for flow in bot.flows {
      for id in flow.triggers {
        guard let intent = bot.intent(id), intent.contextual else { continue }
        add(
          .warning,
          "flow '\(flow.id)' starts on '\(id)', a contextual intent, which only counts where a "
            + "state expects it, so it never starts the flow from idle", flow.location)
      }
    }
  }

  // MARK: Intents

  mutating func checkUnusedIntents() {
    var used = Set(bot.responses.keys)
    for flow in bot.flows {
      used.formUnion(flow.triggers)
      for s in flow.states.values { for t in allTransitions(s) { used.formUnion(t.intents) } }
    }
    for intent in bot.intents where !used.contains(intent.id) {
      add(
        .warning,
        "intent '\(intent.id)' is never used: no flow starts with it, it has no response and "
          + "no transition names it, so a message that gets it gets the fallback reply",
        intent.location)
    }
  }
}
