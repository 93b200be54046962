import Testing

@testable import SupportBotKit

/// Engine mechanics on a small in-memory bot, independent of the shipped content.
@Suite("Dialogue: engine mechanics")
struct DialogueEngineTests {
  static let base = """
    settings: {platform: Acme}
    dialogue: {max_fallbacks: 2, max_tries: 2}
    messages:
      welcome: ["Hi"]
      fallback: ["Pardon?"]
      fallback_handoff: ["Shall I get a person?"]
      escalate: ["Passing you on about {flow_title}."]
      sensitive_data: ["Don't share secrets."]
      resume: ["Back to {flow_title}: {question}"]
    intents:
      - {id: order, patterns: ['\\border\\b(?: (?<size>small|large))?']}
      - {id: faq, patterns: ['\\bfaq\\b']}
      - {id: yes, patterns: ['\\byes\\b'], contextual: true}
      - {id: pick_red, patterns: ['\\bred\\b'], contextual: true}
      - {id: pick_blue, patterns: ['\\bblue\\b'], contextual: true}
    responses:
      faq: "Here is the FAQ."
      yes: {behavior: reply, say: "Okay."}
    """

  func bot(_ flows: String) throws -> Bot {
    try BotLoader.load(files: [("t/bot.yaml", Self.base), ("t/flows.yaml", flows)])
  }

  func run(_ bot: Bot, _ texts: [String], from start: SessionState = SessionState())
    -> (SessionState, [StepResult])
  {
    let engine = Engine(bot: bot)
    var s = start
    var out: [StepResult] = []
    for t in texts {
      let r = engine.step(s, .text(t, today: dialogueToday))
      s = r.state
      out.append(r)
    }
    return (s, out)
  }

  @Test("`or` in a condition: any alternative takes the transition")
  func orConditions() throws {
    let b = try bot(
      """
      flows:
        - id: order
          states:
            start:
              next:
                - {if: "size == small or size == tiny", to: small}
                - {if: "size == large and size != small", to: large}
                - ask
            ask: {ask: "Which size?", on: [{intent: pick_red, to: small}]}
            small: {say: "Small it is."}
            large: {say: "Large it is."}
      """)
    let flow = try #require(b.flow("order"))
    #expect(flow.state("start")?.next.count == 4)  // the `or` became two transitions
    let (_, small) = run(b, ["order small"])
    #expect(small[0].replies == ["Small it is."])
    let (_, large) = run(b, ["order large"])
    #expect(large[0].replies == ["Large it is."])
    let (s, none) = run(b, ["order"])
    #expect(none[0].replies == ["Which size?"])
    #expect(s.state == "ask")
  }

  @Test("A bad alternative is reported with its file and line")
  func orConditionError() {
    do {
      _ = try bot(
        """
        flows:
          - id: order
            states:
              start: {next: [{if: "size == small or ", to: start}]}
        """)
      Issue.record("expected a load error")
    } catch {
      #expect("\(error)".contains("t/flows.yaml:4:"))
      #expect("\(error)".contains("bad condition"))
    }
  }

  static let colours = """
    flows:
      - id: order
        states:
          colour:
            say: "Let's order."
            ask: "Red or blue?"
            reprompt: ["Please say red or blue."]
            slots: [{name: count, extract: number}]
            on:
              - {intent: pick_red, to: red}
              - {intent: pick_blue, to: blue}
              - {intent: yes, to: blue}
              - {if: count > 5, to: bulk}
          red: {say: "Red, noted."}
          blue: {say: "Blue, noted."}
          bulk: {say: "That's a big order."}
    """

  @Test("The first message answers the first question when it carries a contextual answer")
  func answerFromTrigger() throws {
    let b = try bot(Self.colours)
    let (s, r) = run(b, ["order a red one"])
    #expect(r[0].replies == ["Let's order.", "Red, noted."])
    #expect(s.flow == nil)
    #expect(r[0].trace.transitions.map(\.kind) == [.on])
    let (s2, r2) = run(b, ["order"])
    #expect(r2[0].replies == ["Let's order.", "Red or blue?"])
    #expect(s2.state == "colour")
  }

  @Test("After answering, the first message never answers a question that follows new advice")
  func triggerStopsAfterAdvice() throws {
    let b = try bot(
      """
      flows:
        - id: order
          states:
            colour:
              ask: "Red or blue?"
              on: [{intent: pick_red, to: advice}, {intent: pick_blue, to: plain}]
            advice:
              say: "Paint it twice."
              ask: "Red again or blue?"
              on: [{intent: pick_red, to: done}, {intent: pick_blue, to: done}]
            plain:
              ask: "Red or blue, once more?"
              on: [{intent: pick_red, to: done}, {intent: pick_blue, to: done}]
            done: {say: "Done."}
      """)
    // "red" answers the first question; `advice` says something new, so it is asked.
    let (s, r) = run(b, ["order red"])
    #expect(r[0].replies == ["Paint it twice.", "Red again or blue?"])
    #expect(s.state == "advice")
    // `plain` says nothing first, so the rest of the message ("red") may answer it, but the
    // words that already answered ("blue") never do.
    let (s2, r2) = run(b, ["order blue"])
    #expect(r2[0].replies == ["Red or blue, once more?"])
    #expect(s2.state == "plain")
    let (_, r3) = run(b, ["order blue then red"])
    #expect(r3[0].replies == ["Done."])
  }

  @Test("A slot filled from the first message can answer through a condition")
  func answerFromTriggerCondition() throws {
    let b = try bot(Self.colours)
    let (_, r) = run(b, ["order 10 of them"])
    #expect(r[0].replies.last == "That's a big order.")
  }

  @Test("Answer words with responses of their own (yes, no) never answer from the first message")
  func triggerIgnoresYes() throws {
    let b = try bot(Self.colours)
    let (s, r) = run(b, ["order, yes please"])
    #expect(r[0].replies.last == "Red or blue?")
    #expect(s.state == "colour")
    // As a reply to the question, `yes` is an answer like any other.
    let (_, r2) = run(b, ["yes"], from: s)
    #expect(r2[0].replies == ["Blue, noted."])
  }

  @Test("Re-prompt, then escalation with a hand-off summary")
  func escalation() throws {
    let b = try bot(Self.colours)
    let (s, r) = run(b, ["order", "green", "green"])
    #expect(r[1].replies == ["Please say red or blue."])
    #expect(r[2].replies == ["Passing you on about order."])
    #expect(r[2].actions.first?.reason == "escalation")
    #expect(r[2].actions.first?.state == "colour")
    #expect(s.flow == nil)
  }

  @Test("Digression: an answer intent mid-flow, then the question again")
  func digression() throws {
    let b = try bot(Self.colours)
    let (s, r) = run(b, ["order", "faq"])
    #expect(r[1].replies == ["Here is the FAQ.", "Back to order: Red or blue?"])
    #expect(s.state == "colour")
    #expect(s.tries == 0)
  }

  @Test("`default:` is taken instead of re-prompting; `set:` writes slots")
  func defaultAndSet() throws {
    let b = try bot(
      """
      flows:
        - id: order
          states:
            q:
              ask: "Red?"
              on: [{intent: pick_red, to: done, set: {colour: red}}]
              default: {to: done, set: {colour: unknown}}
            done: {say: "Colour: {colour}."}
      """)
    let (_, r) = run(b, ["order", "whatever"])
    #expect(r[1].replies == ["Colour: unknown."])
    let (_, r2) = run(b, ["order", "red"])
    #expect(r2[1].replies == ["Colour: red."])
    #expect(r2[1].trace.slotWrites.contains { $0.slot == "colour" && $0.source == "set" })
  }

  @Test("A loop of automatic `next:` steps stops instead of hanging")
  func nextLoop() throws {
    let b = try bot(
      """
      flows:
        - id: order
          states:
            a: {say: "A", next: b}
            b: {say: "B", next: a}
      """)
    let (s, r) = run(b, ["order"])
    #expect(r[0].replies.count < 40)
    #expect(s.flow == nil)
    #expect(r[0].trace.steps.contains { $0.contains("automatic steps") })
  }

  @Test("Fallbacks outside a flow: the message, then the offer message")
  func fallbackOffer() throws {
    let b = try bot(Self.colours)
    let (_, r) = run(b, ["hmm", "hmm", "hmm"])
    #expect(r.map { $0.replies } == [["Pardon?"], ["Shall I get a person?"], ["Pardon?"]])
  }

  @Test("Pattern slots capture from the user's words; secrets never reach them")
  func patternSlot() throws {
    let b = try bot(
      """
      flows:
        - id: order
          states:
            q:
              ask: "Name?"
              slots: [{name: who, pattern: 'name is (?<value>\\w+)'}]
              on: [{if: who is set, to: done}]
            done: {say: "Thanks, {who}."}
      """)
    let (_, r) = run(b, ["order", "my name is Ann"])
    #expect(r[1].replies == ["Thanks, Ann."])
    let (_, r2) = run(b, ["order", "my name is password: hunter22"])
    #expect(!everythingEmitted(r2[1]).contains("hunter22"))
  }
}
