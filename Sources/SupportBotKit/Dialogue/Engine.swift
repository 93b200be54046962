import PCRE2

/// The dialogue engine: a pure state machine from (session, turn) to (session', replies,
/// actions, trace). It does no I/O and reads no clock; chat, serve and test drive it.
///
/// One `Engine` owns match scratch space, so give each thread its own (they share the `Bot`).
/// Everything else in it is constant. It is a class so that a turn holds one reference to it:
/// as a struct, every turn copied the bot and the indexes (a retain and a release per field),
/// about 4% of a `serve` turn.
public final class Engine {
  public let bot: Bot
  public let matcher: Matcher
  private let redactor: Redactor
  /// Flows by id and by trigger, and each state's expected intents, looked up every turn.
  private let index: FlowIndex

  /// Names every template may use besides settings and slots.
  public static let builtinPlaceholders: Set<String> = ["flow_title", "question"]

  /// The match limits every pattern runs under.
  public let limits: MatchLimits

  /// With `buildInBackground`, the matcher's prefilter is built on another thread and the
  /// first messages run every pattern meanwhile (see ``Matcher``): a server answers sooner
  /// after start, with the same answers.
  public convenience init(
    bot: Bot, limits: MatchLimits = .default, buildInBackground: Bool = false
  ) {
    self.init(
      bot: bot, limits: limits,
      matcher: Matcher(bot: bot, limits: limits, buildInBackground: buildInBackground))
  }

  private init(bot: Bot, limits: MatchLimits, matcher: Matcher) {
    self.bot = bot
    self.limits = limits
    self.matcher = matcher
    self.redactor = Redactor()
    self.index = FlowIndex(bot)
  }

  /// The flow with this id (as ``Bot/flow(_:)``).
  func flow(_ id: String) -> Flow? { index.byID[id].map { bot.flows[$0] } }

  /// The flow an intent starts (as ``Bot/flow(triggeredBy:)``).
  func flow(triggeredBy intent: String) -> Flow? {
    index.byTrigger[intent].map { bot.flows[$0] }
  }

  /// The intents a state expects (as ``FlowState/expectedIntents``), computed once.
  func expectedIntents(_ flow: Flow, _ state: FlowState) -> Set<String> {
    index.expected[flow.id]?[state.id] ?? state.expectedIntents
  }

  /// Another engine for the same bot and limits, with scratch space of its own (for another
  /// thread) and the same prefilter: it gives exactly the same results.
  public func copy() -> Engine { Engine(bot: bot, limits: limits, matcher: matcher.copy()) }

  /// Redacts secrets from text the way the engine does before matching.
  ///
  /// The text is normalised first (typographic dashes and spaces, zero-width characters), so a
  /// card number written with `‐` or a zero-width space cannot slip past the redactor and then
  /// reappear, joined up, in the normalised text the matcher and the trace keep.
  public func redact(_ text: String) -> (text: String, kinds: [Redactor.Kind]) {
    redactor.redact(bot.normalizer.normalize(text))
  }

  /// Advances one conversation by one turn.
  ///
  /// With `trace: false` the trace keeps only what a reply needs (the text, what was redacted,
  /// the classification and the flow and state before and after): the human-readable steps,
  /// states entered, transitions taken, slot writes and expectations are not built. The
  /// session, replies and actions are the same either way.
  public func step(_ session: SessionState, _ turn: Turn, trace: Bool = true) -> StepResult {
    var run = Run(engine: self, session: session, today: turn.today, detailed: trace)
    run.trace.flowBefore = session.flow
    run.trace.stateBefore = session.state
    switch turn.input {
    case .start:
      run.s = SessionState()
      run.say(message: "welcome")
      run.note("start: greeting")
    case .reset:
      run.s = SessionState()
      run.say(message: bot.messages["reset"] != nil ? "reset" : "welcome")
      run.note("reset: session cleared")
    case .end:
      run.s = SessionState()
      run.s.ended = true
      run.note("end: session forgotten")
    case .text(let raw):
      run.handle(text: raw)
    }
    run.trace.flowAfter = run.s.flow
    run.trace.stateAfter = run.s.state
    if !run.replies.isEmpty { run.s.lastReplies = run.replies }
    return StepResult(state: run.s, replies: run.replies, actions: run.actions, trace: run.trace)
  }
}

/// Lookups the engine makes every turn, built once per engine (the bot's own are linear
/// searches, or build a set each time). The first flow with an id or trigger wins, as in `Bot`.
private final class FlowIndex: Sendable {
  let byID: [String: Int]
  let byTrigger: [String: Int]
  /// Flow id → state id → expected intents.
  let expected: [String: [String: Set<String>]]

  init(_ bot: Bot) {
    var byID: [String: Int] = [:]
    var byTrigger: [String: Int] = [:]
    var expected: [String: [String: Set<String>]] = [:]
    for (n, flow) in bot.flows.enumerated() {
      if byID[flow.id] == nil {
        byID[flow.id] = n
        expected[flow.id] = flow.states.mapValues(\.expectedIntents)
      }
      for t in flow.triggers where byTrigger[t] == nil { byTrigger[t] = n }
    }
    self.byID = byID
    self.byTrigger = byTrigger
    self.expected = expected
  }
}

/// The working state of one `step`.
private struct Run {
  let engine: Engine
  var s: SessionState
  let today: CivilDate
  var replies: [String] = []
  var actions: [Action] = []
  var trace = Trace()
  /// The (redacted, normalised) message that started a flow during this turn: it is offered as
  /// the answer to each question the flow asks on the way in.
  var trigger: String?
  /// States already offered `trigger` this turn (`flow.state`), so it answers each at most once.
  var offered: Set<String> = []
  /// Spans of `trigger` that already answered a question: the same words never answer two.
  var usedSpans: [Range<Int>] = []
  /// Whether `trigger` has answered a question this turn.
  var triggerAnswered = false
  /// Whether to build the trace's human-readable parts (see ``Engine/step(_:_:trace:)``).
  let detailed: Bool

  init(engine: Engine, session: SessionState, today: CivilDate, detailed: Bool) {
    self.engine = engine
    self.s = session
    self.today = today
    self.detailed = detailed
  }

  /// Adds a human-readable step to the trace; the text is only built when it is kept.
  mutating func note(_ step: @autoclosure () -> String) {
    if detailed { trace.steps.append(step()) }
  }

  var bot: Bot { engine.bot }

  var currentFlow: Flow? { s.flow.flatMap { engine.flow($0) } }
  var currentState: FlowState? {
    guard let f = currentFlow, let id = s.state else { return nil }
    return f.state(id)
  }

  // MARK: Text turns

  mutating func handle(text raw: String) {
    if s.ended {
      s = SessionState()
      note("previous conversation had ended: starting afresh")
    }
    // A session pointing at a flow or state the bot no longer has starts over.
    if s.flow != nil && currentState == nil {
      let place = "\(s.flow ?? "").\(s.state ?? "")"
      note("state \(place) no longer exists: idle")
      s.flow = nil
      s.state = nil
    }
    s.turns += 1
    let (text, kinds) = engine.redact(raw)
    trace.text = text
    trace.redacted = kinds
    var expected: Set<String> = []
    if let f = currentFlow, let id = s.state, let state = f.state(id) {
      expected = engine.expectedIntents(f, state)
    }
    if detailed { trace.expected = expected.sorted() }
    // Without a readable trace only the winner matters: lower rank classes are skipped.
    let cls = engine.matcher.classify(
      normalized: text, expected: expected, ranking: detailed ? .full : .winner)
    trace.classification = cls
    note(
      cls.winner.map { "intent \($0.intent): \(cls.reason)" } ?? "no intent matched")

    if !kinds.isEmpty {
      note("redacted: " + kinds.map(\.rawValue).joined(separator: ", "))
      say(message: "sensitive_data")
      if cls.winner == nil {
        if currentState != nil { askAgain() }
        return
      }
    }
    if let state = currentState, let flow = currentFlow {
      handleInFlow(cls, flow: flow, state: state, text: cls.normalized)
    } else {
      handleIdle(cls)
    }
  }

  mutating func handleInFlow(_ cls: Classification, flow: Flow, state: FlowState, text: String) {
    fillSlots(state, cls: cls, text: text)
    let intent = cls.intent
    for t in state.transitions where applies(t, intent: intent) {
      note("transition at \(t.location) → \(t.target)")
      record(t, .on, flow: flow, state: state)
      s.fallbacks = 0
      take(t, from: flow)
      return
    }
    if let intent {
      if let other = engine.flow(triggeredBy: intent), other.id != flow.id {
        note("\(intent) starts flow \(other.id): switching from \(flow.id)")
        if bot.messages["switch"] != nil { say(message: "switch", flowTitle: other.title) }
        s.slots = [:]
        startFlow(other, cls: cls)
        return
      }
      if engine.flow(triggeredBy: intent)?.id == flow.id {
        note("\(intent) starts the flow already active: asking again")
        askAgain()
        return
      }
      if let response = bot.responses[intent] {
        switch response.behavior {
        case .answer:
          note("digression: answering \(intent), then back to \(flow.id)")
          sayLines(response.say)
          resume(flow: flow, state: state)
          return
        case .cancel:
          note("cancel: leaving flow \(flow.id)")
          sayLines(response.say, flowTitle: flow.title)
          endFlow()
          return
        case .repeat:
          note("repeat")
          if s.lastReplies.isEmpty { askAgain() } else { replies += s.lastReplies }
          return
        case .handoff:
          note("user asked for a person during \(flow.id)")
          sayLines(response.say, flowTitle: flow.title)
          handoff(reason: "user_asked")
          endFlow()
          return
        case .end:
          note("goodbye during \(flow.id)")
          sayLines(response.say)
          endFlow()
          s.ended = true
          return
        case .reply:
          break  // an answer that does not fit this question
        }
      }
    }
    if let d = state.fallback {
      note("no transition fits: default → \(d.target)")
      record(d, .default, flow: flow, state: state)
      take(d, from: flow)
      return
    }
    s.tries += 1
    if s.tries >= state.maxTries {
      let tries = s.tries
      note("answer did not fit \(tries) time(s): escalating")
      say(message: "escalate", flowTitle: flow.title)
      handoff(reason: "escalation")
      endFlow()
      return
    }
    let tries = s.tries
    note("answer did not fit (try \(tries) of \(state.maxTries)): re-prompting")
    if state.reprompts.isEmpty {
      askAgain()
    } else {
      let line = state.reprompts[min(s.tries - 1, state.reprompts.count - 1)]
      replies.append(render(line, flowTitle: flow.title))
    }
  }

  mutating func handleIdle(_ cls: Classification) {
    guard let intent = cls.intent else {
      s.fallbacks += 1
      if s.fallbacks >= bot.dialogue.maxFallbacks {
        let fallbacks = s.fallbacks
        note("fallback \(fallbacks) in a row: offering a person")
        s.fallbacks = 0
        if let offer = bot.dialogue.handoffOfferFlow.flatMap({ engine.flow($0) }) {
          startFlow(offer, cls: cls)
        } else {
          say(message: "fallback_handoff")
        }
      } else {
        note("fallback")
        say(message: "fallback")
      }
      return
    }
    s.fallbacks = 0
    if let flow = engine.flow(triggeredBy: intent) {
      note("\(intent) starts flow \(flow.id)")
      startFlow(flow, cls: cls)
      return
    }
    guard let response = bot.responses[intent] else {
      note("\(intent) has no response or flow: fallback")
      say(message: "fallback")
      return
    }
    switch response.behavior {
    case .answer, .reply:
      sayLines(response.say)
    case .cancel:
      sayLines(response.sayIdle.isEmpty ? response.say : response.sayIdle)
    case .repeat:
      if s.lastReplies.isEmpty {
        sayLines(response.sayIdle.isEmpty ? response.say : response.sayIdle)
      } else {
        replies += s.lastReplies
      }
    case .handoff:
      sayLines(response.say)
      handoff(reason: "user_asked", topic: intent)
    case .end:
      sayLines(response.say)
      s.ended = true
    }
  }

  // MARK: Flow mechanics

  mutating func startFlow(_ flow: Flow, cls: Classification) {
    s.flow = flow.id
    trigger = cls.intent == nil ? nil : cls.normalized
    offered = []
    usedSpans = []
    triggerAnswered = false
    // Entities of the triggering message become slots of the same name.
    for (name, value) in cls.entities {
      s.slots[name] = Int(value).map(SlotValue.number) ?? .string(value.lowercased())
      if detailed {
        trace.slotWrites.append(SlotWrite(slot: name, value: value, source: "entity"))
      }
    }
    enter(flow, flow.start, depth: 0)
  }

  mutating func enter(_ flow: Flow, _ stateId: String, depth: Int) {
    guard let state = flow.state(stateId) else {
      note("state \(stateId) missing in \(flow.id): leaving flow")
      endFlow()
      return
    }
    s.flow = flow.id
    s.state = stateId
    s.tries = 0
    note("entered \(flow.id).\(stateId)")
    if detailed { trace.entered.append("\(flow.id).\(stateId)") }
    sayLines(state.say, flowTitle: flow.title)
    if state.action == .handoff { handoff(reason: "flow", topic: flow.title) }
    if let t = state.next.first(where: { applies($0, intent: nil) }) {
      guard depth < 32 else {
        note("more than 32 automatic steps: stopping")
        endFlow()
        return
      }
      note("next at \(t.location) → \(t.target)")
      record(t, .next, flow: flow, state: state)
      take(t, from: flow, depth: depth + 1)
      return
    }
    if let t = answerFromTrigger(flow, state) {
      take(t, from: flow, depth: depth + 1)
      return
    }
    if let ask = state.ask { replies.append(render(ask, flowTitle: flow.title)) }
    if state.isTerminal {
      note("\(flow.id).\(stateId) is final: flow ends")
      endFlow()
    }
  }

  /// Whether the message that started the flow already answers `state`'s question ("turn on
  /// two-factor by SMS" answers "on or off?" and then "SMS or email?").
  ///
  /// The message is classified again with the state's expectations and the state's slots are
  /// filled from it. An `on:` transition is taken when it names a contextual intent without a
  /// response of its own (so `yes`/`no` never count) that wins, or when it has no intent and its
  /// condition holds thanks to a slot just filled from the message. Each state is offered the
  /// message once per turn; `default:` and re-prompts never apply.
  ///
  /// The message was written before the bot said anything, so once it has answered a question
  /// it is only offered to states that say nothing before asking ("Did that work?" after advice
  /// is never answered by it), and the words that answered one question never answer another.
  mutating func answerFromTrigger(_ flow: Flow, _ state: FlowState) -> Transition? {
    guard let text = trigger, !state.transitions.isEmpty else { return nil }
    if triggerAnswered && !state.say.isEmpty { return nil }
    let key = "\(flow.id).\(state.id)"
    guard !offered.contains(key) else { return nil }
    offered.insert(key)
    let expected = engine.expectedIntents(flow, state)
    var cls = engine.matcher.classify(normalized: text, expected: expected, ranking: .winner)
    let before = s.slots
    fillSlots(state, cls: cls, text: cls.normalized)
    let filled = Set(s.slots.keys.filter { s.slots[$0] != before[$0] })
    // The best expected contextual answer whose words have not answered anything yet.
    let used = usedSpans
    let bot = self.bot
    let qualifies = { (c: Candidate) -> Bool in
      c.excludedBy == nil && c.expected && bot.responses[c.intent] == nil
        && bot.intent(c.intent)?.contextual == true
        && !used.contains(where: { $0.overlaps(c.best.span) })
    }
    var best = cls.candidates.first(where: qualifies)
    // The winner-only ranking holds every class down to the winner's, so a candidate found
    // there is the first of the full ranking too. When none is, one can only be further down
    // if the winner was expected (expected intents rank first): rank everything then.
    if best == nil && !cls.isComplete && cls.winner?.expected == true {
      cls = engine.matcher.classify(normalized: text, expected: expected)
      best = cls.candidates.first(where: qualifies)
    }
    let answer = best?.intent
    for t in state.transitions {
      if t.intents.isEmpty {
        guard let c = t.condition, c.holds(s.slots), !filled.isDisjoint(with: c.slots) else {
          continue
        }
      } else {
        guard let answer, t.intents.contains(answer) else { continue }
        if let c = t.condition, !c.holds(s.slots) { continue }
      }
      note(
        "the message that started \(flow.id) answers \(state.id): \(answer ?? "slots") → \(t.target)"
      )
      record(t, .on, flow: flow, state: state)
      triggerAnswered = true
      if let best, t.intents.contains(best.intent) { usedSpans.append(best.best.span) }
      return t
    }
    return nil
  }

  mutating func take(_ t: Transition, from flow: Flow, depth: Int = 0) {
    for (k, v) in t.set {
      s.slots[k] = v
      if detailed {
        trace.slotWrites.append(SlotWrite(slot: k, value: v.description, source: "set"))
      }
    }
    switch t.target {
    case .state(let id): enter(flow, id, depth: depth)
    case .flow(let id):
      guard let other = engine.flow(id) else {
        endFlow()
        return
      }
      enter(other, other.start, depth: depth)
    case .end:
      note("flow \(flow.id) ends")
      endFlow()
    }
  }

  mutating func record(
    _ t: Transition, _ kind: TakenTransition.Kind, flow: Flow, state: FlowState
  ) {
    guard detailed else { return }
    trace.transitions.append(
      TakenTransition(
        flow: flow.id, state: state.id, kind: kind, location: t.location,
        target: t.target.description))
  }

  func applies(_ t: Transition, intent: String?) -> Bool {
    if !t.intents.isEmpty {
      guard let intent, t.intents.contains(intent) else { return false }
    }
    if let c = t.condition, !c.holds(s.slots) { return false }
    return true
  }

  mutating func fillSlots(_ state: FlowState, cls: Classification, text: String) {
    for fill in state.slots {
      var value: SlotValue?
      var source = ""
      switch fill.source {
      case .entity(let name):
        if let v = cls.entities[name] {
          value = Int(v).map(SlotValue.number) ?? .string(v.lowercased())
          if detailed { source = "entity \(name)" }
        }
      case .extractor(let name):
        value = SlotExtractors.extract(name, from: text, today: today)
        if detailed { source = "extractor \(name)" }
      case .pattern(let p):
        let scratch = MatchScratch(groups: p.captureCount)
        if let m = try? p.firstMatch(in: text, scratch: scratch) {
          let captured = m["value"] ?? m.text(ofGroup: 1) ?? m.text(ofGroup: 0)
          if let captured { value = .string(String(captured)) }
          if detailed { source = "pattern at \(fill.location)" }
        }
      }
      if let value {
        s.slots[fill.slot] = value
        if detailed {
          trace.slotWrites.append(
            SlotWrite(slot: fill.slot, value: value.description, source: source))
        }
      }
    }
  }

  mutating func askAgain() {
    guard let state = currentState, let flow = currentFlow else { return }
    if let ask = state.ask { replies.append(render(ask, flowTitle: flow.title)) }
  }

  /// After a digression: "Back to {flow_title}: {question}".
  mutating func resume(flow: Flow, state: FlowState) {
    guard let ask = state.ask else { return }
    let question = render(ask, flowTitle: flow.title)
    say(message: "resume", flowTitle: flow.title, question: question)
  }

  mutating func endFlow() {
    s.flow = nil
    s.state = nil
    s.slots = [:]
    s.tries = 0
  }

  mutating func handoff(reason: String, topic: String? = nil) {
    var slots: [String: String] = [:]
    for (k, v) in s.slots { slots[k] = v.description }
    actions.append(
      Action(
        type: .handoff, reason: reason, topic: topic ?? currentFlow?.title, flow: s.flow,
        state: s.state, slots: slots))
    note("action: hand-off (\(reason))")
  }

  // MARK: Replies

  mutating func say(message name: String, flowTitle: String? = nil, question: String? = nil) {
    guard let lines = bot.messages[name] else { return }
    sayLines(lines, flowTitle: flowTitle, question: question)
  }

  mutating func sayLines(_ lines: [ReplyLine], flowTitle: String? = nil, question: String? = nil) {
    for line in lines {
      replies.append(render(line, flowTitle: flowTitle ?? currentFlow?.title, question: question))
    }
  }

  func render(_ line: ReplyLine, flowTitle: String?, question: String? = nil) -> String {
    let index =
      line.alternatives.count > 1 ? (s.turns + replies.count) % line.alternatives.count : 0
    let template = line.alternatives[index]
    var out = ""
    for part in template.parts {
      switch part {
      case .text(let t): out += t
      case .placeholder(let name):
        if name == "flow_title" {
          out += flowTitle ?? ""
        } else if name == "question" {
          out += question ?? ""
        } else if let v = s.slots[name] {
          out += v.description
        } else if let v = bot.settings[name] {
          out += v
        }
      }
    }
    return out
  }
}
