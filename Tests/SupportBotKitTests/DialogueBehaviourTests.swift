import Foundation
import Testing

@testable import SupportBotKit

/// Engine behaviours on the shipped bot: digressions, cancel, repeat, re-prompts, escalation,
/// fallback, flow switching, sensitive data, determinism.
@Suite("Dialogue: engine behaviours")
struct DialogueBehaviourTests {
  @Test("A question on another topic is answered, then the pending question comes back")
  func digressionAndReturn() throws {
    var c = try Conversation()
    c.say("I want to delete my account")
    let question = try #require(c.last?.replies.last)
    let r = c.say("how do I back up my data?")
    #expect(r.intent == "backup_data")
    #expect(c.position == "delete_account.backup")
    #expect(r.replies.first?.contains("export or download") == true)
    #expect(r.replies.last == "Back to closing your account: \(question)")
    // The flow carries on where it was.
    c.say("yes")
    #expect(c.position == "delete_account.subscriptions")
  }

  @Test("A question mentioning a number of days is a digression, not the date asked for")
  func digressionWithDays() throws {
    var c = try Conversation()
    c.say(["I want to recover my account", "I changed my mind"])
    let r = c.say("what happens to my data after 30 days?")
    #expect(c.position == "recover_account.when")
    #expect(c.session.slots["days_since_request"] == nil)
    #expect(r.replies.last?.hasPrefix("Back to getting back into your account: ") == true)
    c.say("12 days ago")
    #expect(c.position == "recover_account.in_window")
  }

  @Test(
    "Conversation intents in a flow are digressions too",
    arguments: ["hello", "thanks", "help", "are you a bot?"])
  func conversationDigressions(_ text: String) throws {
    var c = try Conversation()
    c.say(["I want to recover my account", "I changed my mind"])
    let r = c.say(text)
    #expect(c.position == "recover_account.when")
    #expect(r.replies.last?.hasPrefix("Back to getting back into your account: ") == true)
  }

  @Test("Cancel in the middle of a flow leaves it; cancel when idle says so")
  func cancelMidFlow() throws {
    var c = try Conversation()
    c.say(["I want to delete my account", "yes"])
    let r = c.say("cancel")
    #expect(r.intent == "cancel")
    #expect(c.position == "idle")
    #expect(c.session.slots.isEmpty)
    #expect(r.replies.first?.contains("closing your account") == true)
    #expect(r.actions.isEmpty)
    let idle = c.say("cancel")
    #expect(idle.replies.first?.contains("nothing in progress") == true)
  }

  @Test("Repeat says the last replies again, in and out of a flow")
  func repeatLast() throws {
    var c = try Conversation()
    let first = c.say("two-factor authentication")
    let again = c.say("can you repeat that?")
    #expect(again.intent == "repeat")
    #expect(again.replies == first.replies)
    #expect(c.position == "two_factor.goal")
    var d = try Conversation()
    let idle = d.say("repeat")
    #expect(idle.replies.first?.contains("haven't said anything") == true)
  }

  @Test("Answers that don't fit get a different phrasing each time, then a person")
  func repromptThenEscalate() throws {
    var c = try Conversation()
    c.say(["I want to recover my account", "I changed my mind", "10 days ago"])
    #expect(c.position == "recover_account.in_window")
    let ask = try #require(c.last?.replies.last)
    let r1 = c.say("purple elephants")
    let r2 = c.say("my password is hunter2")  // a secret: warned, not counted as a try
    let r3 = c.say("what is the weather")
    #expect(r1.replies.count == 1)
    #expect(r3.replies.count == 1)
    #expect(Set([ask, r1.replies[0], r3.replies[0]]).count == 3)
    #expect(r2.trace.redacted == [.password])
    #expect(c.position == "recover_account.in_window")
    let r4 = c.say("zzz")
    #expect(c.position == "idle")
    #expect(r4.replies.first?.contains("pass you to a member of the support team") == true)
    let action = try #require(r4.actions.first)
    #expect(action.type == .handoff)
    #expect(action.reason == "escalation")
    #expect(action.flow == "recover_account")
    #expect(action.state == "in_window")
    #expect(action.topic == "getting back into your account")
    #expect(action.slots == ["days_since_request": "10"])
    for r in c.results { #expect(!everythingEmitted(r).contains("hunter2")) }
  }

  @Test("Asking for a person mid-flow hands off with what was collected")
  func humanMidFlow() throws {
    var c = try Conversation()
    c.say(["recover my account", "changed my mind", "2 weeks ago"])
    let r = c.say("I want to talk to a person")
    #expect(r.intent == "human")
    let action = try #require(r.actions.first)
    #expect(action.reason == "user_asked")
    #expect(action.flow == "recover_account")
    #expect(action.slots["days_since_request"] == "14")
    #expect(c.position == "idle")
    var idle = try Conversation()
    let i = idle.say("can I speak to a human")
    #expect(i.actions.first?.reason == "user_asked")
  }

  @Test("Starting a different task in a flow switches flows")
  func flowSwitch() throws {
    var c = try Conversation()
    c.say(["I want to delete my account", "yes"])
    let r = c.say("actually I want to turn on two-factor authentication")
    #expect(r.replies.first == "Sure, let's look at two-factor authentication instead.")
    #expect(c.position == "two_factor.method")
    #expect(r.trace.flowBefore == "delete_account")
    #expect(r.trace.flowAfter == "two_factor")
  }

  @Test("Naming the current flow again re-asks its question")
  func sameFlowAgain() throws {
    var c = try Conversation()
    c.say("I want to delete my account")
    let q = try #require(c.last?.replies.last)
    let r = c.say("I want to close my account")
    #expect(r.replies == [q])
    #expect(c.position == "delete_account.backup")
  }

  @Test("Misunderstood messages get a helpful fallback, then the offer of a person")
  func fallbackThenOffer() throws {
    var c = try Conversation()
    let f1 = c.say("what's the weather tomorrow")
    #expect(f1.intent == nil)
    #expect(f1.replies.first?.contains("two-factor") == true)
    #expect(c.position == "idle")
    let f2 = c.say("asdf qwerty")
    #expect(c.position == "offer_person.offer")
    #expect(f2.replies.last?.contains("person") == true)
    let yes = c.say("yes please")
    #expect(yes.actions.first?.type == .handoff)
    #expect(yes.actions.first?.flow == "offer_person")

    var d = try Conversation()
    d.say(["blorp", "zzz", "no thanks"])
    #expect(d.entered.last == "offer_person.declined")
    #expect(d.position == "idle")
  }

  @Test("An understood message resets the fallback count")
  func fallbackReset() throws {
    var c = try Conversation()
    c.say(["blorp", "hello", "zzz"])
    #expect(c.position == "idle")
    #expect(c.lastText.contains("two-factor"))
  }

  @Test("Goodbye ends the conversation; the next message starts afresh")
  func goodbyeEnds() throws {
    var c = try Conversation()
    c.say("I want to delete my account")
    let bye = c.say("bye")
    #expect(bye.intent == "goodbye")
    #expect(c.session.ended)
    #expect(c.position == "idle")
    c.say("two-factor authentication")
    #expect(c.position == "two_factor.goal")
    #expect(!c.session.ended)
  }

  @Test("Start greets, reset forgets")
  func startAndReset() throws {
    var c = try Conversation()
    let hello = c.send(.start)
    #expect(hello.replies.first?.contains("Alibaba") == true)
    c.say("I want to delete my account")
    let reset = c.send(.reset)
    #expect(c.position == "idle")
    #expect(reset.replies.count == 1)
  }

  // MARK: Sensitive data

  @Test(
    "Secrets are never kept or repeated",
    arguments: [
      ("my password is hunter2", "hunter2", Redactor.Kind.password),
      ("my card number is 4111 1111 1111 1111", "4111", .cardNumber),
      ("card 4111-1111-1111-1111", "4111", .cardNumber),
      ("the code is 482913", "482913", .oneTimeCode),
      ("482913", "482913", .oneTimeCode),
    ])
  func sensitiveIdle(_ text: String, _ secret: String, _ kind: Redactor.Kind) throws {
    var c = try Conversation()
    let r = c.say(text)
    #expect(r.trace.redacted.contains(kind))
    #expect(r.replies.first?.contains("Please don't share") == true)
    #expect(!everythingEmitted(r).contains(secret))
  }

  @Test("A secret inside a flow: warned, question asked again, flow kept")
  func sensitiveInFlow() throws {
    var c = try Conversation()
    c.say(["two factor", "I lost my phone"])
    let r = c.say("my code is 123456")
    #expect(r.replies.count == 2)
    #expect(r.replies[0].contains("one-time codes"))
    #expect(c.position == "two_factor.lost")
    #expect(!everythingEmitted(r).contains("123456"))
  }

  @Test("A secret with a request: warned, and the request is still handled")
  func sensitiveWithIntent() throws {
    var c = try Conversation()
    let r = c.say("I can't log in, my password is Tr0ub4dor&3")
    #expect(r.replies.first?.contains("Please don't share") == true)
    #expect(c.session.flow == "recover_account")
    #expect(!everythingEmitted(r).contains("Tr0ub4dor"))
  }

  @Test("'My password is wrong' is not a secret")
  func passwordIsWrong() throws {
    var c = try Conversation()
    let r = c.say("my password is wrong")
    #expect(r.trace.redacted.isEmpty)
    #expect(!(r.replies.first?.contains("Please don't share") ?? false))
  }

  // MARK: Determinism and the session value

  @Test("The same conversation gives the same replies; the session survives a round trip")
  func deterministic() throws {
    let script = [
      "hello", "I want to delete my account", "how do I back up my data?", "no", "yes", "hmm",
      "thanks", "bye",
    ]
    var a = try Conversation()
    var b = try Conversation()
    a.say(script)
    b.say(script)
    #expect(a.allReplies == b.allReplies)
    #expect(a.session == b.session)

    var c = try Conversation()
    c.say(["recover my account", "changed my mind"])
    let data = try JSONEncoder().encode(c.session)
    let restored = try JSONDecoder().decode(SessionState.self, from: data)
    #expect(restored == c.session)
    var d = try Conversation(session: restored)
    d.say("10 days ago")
    #expect(d.position == "recover_account.in_window")
  }

  @Test(
    "Odd input is just a message the bot doesn't understand",
    arguments: ["", "   ", "\u{0}\u{7}", "🙂🙂🙂", "删除我的帐户", String(repeating: "?", count: 5000)])
  func oddInput(_ text: String) throws {
    var c = try Conversation()
    let r = c.say(text)
    #expect(r.intent == nil)
    #expect(!r.replies.isEmpty)
    c.say(["I want to recover my account", "I changed my mind"])
    c.say(text)
    #expect(c.position == "recover_account.when")
  }

  @Test("A 64 KiB message is handled in bounded time")
  func longMessage() throws {
    var c = try Conversation()
    c.say(["I want to recover my account", "I changed my mind"])
    let long =
      String(repeating: "4111 1111 1111 1111 password is x ", count: 2000)
      + String(repeating: "9", count: 1000)
    let clock = ContinuousClock()
    let elapsed = clock.measure { c.say(long) }
    #expect(elapsed < .seconds(2))
    #expect(c.position == "recover_account.when" || c.position == "idle")
    #expect(!everythingEmitted(try #require(c.last)).contains("4111 1111"))
  }

  @Test("A session pointing at a state that no longer exists starts over")
  func staleSession() throws {
    var c = try Conversation(session: SessionState(flow: "gone", state: "nowhere"))
    c.say("hello")
    #expect(c.position == "idle")
    #expect(c.last?.intent == "greeting")
  }
}
