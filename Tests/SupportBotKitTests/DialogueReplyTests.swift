import Testing

@testable import SupportBotKit

/// Every reply the shipped bot can give reads as a person would write it.
@Suite("Dialogue: reply quality")
struct DialogueReplyTests {
  /// Messages to try in each waiting state: the examples of every intent it expects, some
  /// dates for `days_ago`, and nonsense (for the re-prompts).
  static func probes(for state: FlowState, bot: Bot) -> [String] {
    var out: [String] = []
    for id in state.expectedIntents.sorted() {
      out += (bot.intent(id)?.examples.map(\.text) ?? []).prefix(2)
    }
    if state.slots.contains(where: { if case .extractor = $0.source { true } else { false } }) {
      out += ["10 days ago", "29 days ago", "30 days ago", "31 days ago"]
    }
    return out
  }

  /// Explores the shipped flows: starts each one with its triggers' examples, then in every
  /// state reached tries every probe and three nonsense answers. Returns the conversations'
  /// replies and the states entered.
  static func explore() throws -> (replies: [String], entered: Set<String>) {
    let bot = try ShippedBot.bot()
    let engine = Engine(bot: bot)
    var replies: [String] = []
    var entered: Set<String> = []
    var frontier: [SessionState] = []
    var seen: Set<String> = []
    func record(_ r: StepResult) {
      replies += r.replies
      entered.formUnion(r.trace.entered)
      if let f = r.state.flow, let s = r.state.state, !seen.contains("\(f).\(s)") {
        seen.insert("\(f).\(s)")
        frontier.append(r.state)
      }
    }
    for intent in bot.intents where bot.flow(triggeredBy: intent.id) != nil {
      for ex in intent.examples {
        record(engine.step(SessionState(), .text(ex.text, today: dialogueToday)))
      }
    }
    // The hand-off offer flow starts after misunderstandings.
    var s = SessionState()
    for text in ["blorp", "zzz"] {
      let r = engine.step(s, .text(text, today: dialogueToday))
      s = r.state
      record(r)
    }
    while let session = frontier.popLast() {
      guard let f = session.flow.flatMap({ bot.flow($0) }), let st = session.state.flatMap(f.state)
      else { continue }
      for probe in probes(for: st, bot: bot) {
        record(engine.step(session, .text(probe, today: dialogueToday)))
      }
      var s = session
      for nonsense in ["blorp", "zzz qqq", "purple elephants"] {
        let r = engine.step(s, .text(nonsense, today: dialogueToday))
        s = r.state
        record(r)
      }
      // A digression renders the "Back to …" line with the question.
      record(engine.step(session, .text("how do I back up my data?", today: dialogueToday)))
    }
    return (replies, entered)
  }

  @Test("Every state of every shipped flow is reachable by conversation")
  func everyStateReached() throws {
    let bot = try ShippedBot.bot()
    let (_, entered) = try Self.explore()
    for flow in bot.flows {
      for state in flow.stateOrder {
        #expect(entered.contains("\(flow.id).\(state)"), "never entered \(flow.id).\(state)")
      }
    }
  }

  @Test("No reply shows a placeholder, an id, a redaction marker or stray spacing")
  func repliesAreClean() throws {
    let bot = try ShippedBot.bot()
    let (replies, _) = try Self.explore()
    #expect(replies.count > 100)
    for reply in Set(replies) {
      let problems = replyProblems(reply, bot: bot)
      #expect(problems.isEmpty, "\(problems)")
    }
  }

  @Test("Every template of the shipped bot: literal text has no braces, placeholders resolve")
  func templates() throws {
    let bot = try ShippedBot.bot()
    var lines: [ReplyLine] = []
    for flow in bot.flows {
      for state in flow.states.values {
        lines += state.say + state.reprompts + (state.ask.map { [$0] } ?? [])
        // Each question state has re-phrasings, all different from the question.
        if let ask = state.ask, !state.transitions.isEmpty {
          #expect(!state.reprompts.isEmpty, "\(flow.id).\(state.id) has no reprompt")
          let texts = Set((state.reprompts + [ask]).flatMap(\.alternatives).map(\.raw))
          #expect(texts.count == state.reprompts.count + 1, "\(flow.id).\(state.id)")
        }
      }
    }
    for r in bot.responses.values { lines += r.say + r.sayIdle }
    for m in bot.messages.values { lines += m }
    let slots: Set<String> = ["days_since_request", "detail", "method"]
    for t in lines.flatMap(\.alternatives) {
      for part in t.parts {
        switch part {
        case .text(let s):
          #expect(!s.contains("{") && !s.contains("}"), "\(t.location)")
        case .placeholder(let name):
          let known =
            bot.settings[name] != nil || Engine.builtinPlaceholders.contains(name)
            || slots.contains(name)
          #expect(known, "\(t.location): {\(name)}")
        }
      }
    }
  }

  @Test("Every intent the issue names has a response or a flow")
  func intentIdsCovered() throws {
    let bot = try ShippedBot.bot()
    let flows = [
      "delete_account", "recover_account", "two_factor", "update_details",
      "troubleshoot_deletion",
    ]
    for id in flows { #expect(bot.flow(triggeredBy: id)?.id == id) }
    let answers = [
      "backup_data", "cancel_subscriptions", "connected_services", "privacy_after_deletion",
      "deletion_policy", "identity_verification", "contact_support", "mobile_app",
      "social_login", "buyer_protection",
    ]
    for id in answers { #expect(bot.responses[id]?.behavior == .answer, "\(id)") }
    let behaviours: [String: ResponseBehavior] = [
      "yes": .reply, "no": .reply, "cancel": .cancel, "repeat": .repeat, "help": .answer,
      "greeting": .answer, "goodbye": .end, "thanks": .answer, "are_you_a_bot": .answer,
      "human": .handoff,
    ]
    for (id, b) in behaviours { #expect(bot.responses[id]?.behavior == b, "\(id)") }
    #expect(bot.responses["cancel"]?.sayIdle.isEmpty == false)
  }

  /// The engine normalises a message before redacting it and the matcher normalises it again,
  /// so a substitution must not produce another substitution's key.
  @Test("The shipped substitutions are idempotent")
  func substitutionsIdempotent() throws {
    let bot = try ShippedBot.bot()
    for (key, value) in bot.normalizer.substitutions {
      let once = bot.normalizer.normalize(key)
      #expect(bot.normalizer.normalize(once) == once, "\(key) -> \(value)")
    }
  }

  @Test("Replies never claim the bot changed the account itself")
  func noClaims() throws {
    let (replies, _) = try Self.explore()
    let claims = [
      "I've deleted", "I have deleted", "I've restored", "I have restored", "I've changed",
      "I have changed", "I've cancelled your", "I've closed", "I've updated", "I deleted",
      "has been restored", "I've turned",
    ]
    for reply in Set(replies) {
      for claim in claims { #expect(!reply.contains(claim), "\(reply)") }
    }
  }
}
