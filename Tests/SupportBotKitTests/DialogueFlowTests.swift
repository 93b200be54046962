import Testing

@testable import SupportBotKit

/// The shipped flows, driven turn by turn through every branch.
@Suite("Dialogue: shipped flows")
struct DialogueFlowTests {
  // MARK: delete_account

  @Test("delete_account: every preparation step, then how to request and how to confirm")
  func deleteAccountPreparation() throws {
    var c = try Conversation()
    c.say("I want to delete my account")
    #expect(c.position == "delete_account.backup")
    #expect(c.lastText.contains("about 30 days"))
    #expect(c.lastText.contains("permanent"))

    c.say("no")
    #expect(c.position == "delete_account.backup_how")
    #expect(c.lastText.contains("export or download"))
    c.say("yes")
    #expect(c.position == "delete_account.subscriptions")
    c.say("no")
    #expect(c.entered.suffix(2) == ["delete_account.subscriptions_how", "delete_account.linked"])
    #expect(c.lastText.contains("charging"))
    c.say("no")
    #expect(c.entered.suffix(2) == ["delete_account.linked_how", "delete_account.impact"])
    #expect(c.lastText.contains("order history, messages and saved data"))
    #expect(c.lastText.contains("can't be recovered"))
    c.say("yes")
    #expect(c.position == "delete_account.how_to_request")
    for fact in ["Help Center", "live chat, email or phone", "verify your identity", "form"] {
      #expect(c.lastText.contains(fact), "\(fact)")
    }
    c.say("no")
    #expect(c.position == "idle")
    #expect(c.entered.last == "delete_account.confirm")
    #expect(c.lastText.contains("final confirmation"))
    #expect(c.lastText.contains("try signing in"))
    #expect(c.last?.actions.isEmpty == true)
  }

  @Test("delete_account: all prepared, go ahead, hand-off to a person with a summary")
  func deleteAccountHandoff() throws {
    var c = try Conversation()
    c.say(["delete my account", "yes", "yes", "yes", "yes"])
    #expect(c.position == "delete_account.how_to_request")
    let r = c.say("yes")
    #expect(c.entered.last == "delete_account.to_person")
    #expect(c.position == "idle")
    let action = try #require(r.actions.first)
    #expect(action.type == .handoff)
    #expect(action.reason == "flow")
    #expect(action.flow == "delete_account")
    #expect(action.state == "to_person")
    #expect(action.topic == "closing your account")
    #expect(c.lastText.contains("final confirmation"))
  }

  @Test("delete_account: 'skip' moves on; 'no' to going ahead keeps the account")
  func deleteAccountSkipAndKeep() throws {
    var c = try Conversation()
    c.say(["close my account", "skip", "skip this step", "let's move on"])
    #expect(c.position == "delete_account.impact")
    c.say("no")
    #expect(c.entered.last == "delete_account.keep")
    #expect(c.lastText.contains("stays exactly as it is"))
    #expect(c.position == "idle")
  }

  @Test("delete_account: 'done' and 'I don't have any' count as a step already taken")
  func deleteAccountAlreadyDone() throws {
    var c = try Conversation()
    c.say([
      "delete my account", "already did that", "I don't have any subscriptions", "nothing linked",
    ])
    #expect(c.position == "delete_account.impact")
    #expect(!c.entered.contains("delete_account.backup_how"))
  }

  @Test("delete_account: stopping to back up first pauses the flow")
  func deleteAccountPause() throws {
    var c = try Conversation()
    c.say(["delete my account", "no", "no"])
    #expect(c.entered.last == "delete_account.paused")
    #expect(c.position == "idle")
  }

  // MARK: recover_account

  @Test("recover_account: changed my mind, inside the window")
  func recoverInsideWindow() throws {
    var c = try Conversation()
    c.say("I want to recover my account")
    #expect(c.position == "recover_account.situation")
    c.say("I changed my mind")
    #expect(c.position == "recover_account.when")
    c.say("10 days ago")
    #expect(c.position == "recover_account.in_window")
    #expect(c.session.slots["days_since_request"] == .number(10))
    for fact in ["email", "link", "signing in", "support", "verify your identity"] {
      #expect(c.lastText.contains(fact), "\(fact)")
    }
    c.say("no")
    #expect(c.entered.last == "recover_account.good_luck")
    #expect(c.position == "idle")
  }

  /// The boundary: day 30 is the last day a deletion can be cancelled, day 31 is too late.
  @Test(
    "recover_account: the 30-day boundary",
    arguments: [
      (27, "recover_account.in_window"),
      (28, "recover_account.last_days"),
      (29, "recover_account.last_days"),
      (30, "recover_account.last_days"),
      (31, "recover_account.too_late"),
      (45, "recover_account.too_late"),
    ])
  func recoverBoundary(_ days: Int, _ expected: String) throws {
    var c = try Conversation()
    c.say(["recover my account", "I asked to delete it", "\(days) days ago"])
    #expect(c.entered.last == expected)
    #expect(c.session.slots["days_since_request"] == .number(days) || c.position == "idle")
    if days > 30 {
      #expect(c.lastText.contains("can't be recovered"))
      #expect(c.position == "idle")
    } else {
      #expect(c.lastText.contains("cancel"))
      #expect(!c.lastText.contains("can't be recovered"))
    }
  }

  @Test(
    "recover_account: the boundary with calendar dates (today is 29 November 2026)",
    arguments: [
      ("on 31 October", "recover_account.last_days"),  // 29 days
      ("on 30 October", "recover_account.last_days"),  // 30 days
      ("on 29 October", "recover_account.too_late"),  // 31 days
      ("on 3 November", "recover_account.in_window"),  // 26 days
    ])
  func recoverBoundaryDates(_ when: String, _ expected: String) throws {
    var c = try Conversation()
    c.say(["I want to get my account back", "the first one", when])
    #expect(c.entered.last == expected)
  }

  @Test(
    "recover_account: date phrases fill days_since_request",
    arguments: [
      ("10 days ago", 10), ("last week", 7), ("two weeks ago", 14), ("yesterday", 1),
      ("a month ago", 30), ("on 3 November", 26),
    ])
  func recoverDatePhrases(_ phrase: String, _ days: Int) throws {
    var c = try Conversation()
    c.say(["recover my account", "I changed my mind about the deletion"])
    let r = c.say(phrase)
    #expect(
      r.trace.slotWrites.contains { $0.slot == "days_since_request" && $0.value == "\(days)" })
  }

  @Test("recover_account: 30 days reads as the last day, with a person offered")
  func recoverLastDay() throws {
    var c = try Conversation()
    c.say(["recover my account", "changed my mind", "a month ago"])
    #expect(c.lastText.contains("That was 30 days ago"))
    let r = c.say("yes")
    #expect(r.actions.first?.reason == "flow")
    #expect(r.actions.first?.slots["days_since_request"] == "30")
  }

  @Test("recover_account: the first message can answer both questions")
  func recoverFromFirstMessage() throws {
    var c = try Conversation()
    c.say("I changed my mind about deleting my account")
    #expect(c.position == "recover_account.when")
    var d = try Conversation()
    d.say("I changed my mind about deleting my account, I asked 40 days ago")
    #expect(d.entered.last == "recover_account.too_late")
  }

  @Test("recover_account: 'I deleted it' is the changed-my-mind branch")
  func recoverDeletedIt() throws {
    var c = try Conversation()
    c.say(["recover my account", "I deleted it", "on the 2nd"])
    #expect(c.entered.last == "recover_account.in_window")
  }

  @Test("recover_account: not knowing the date gets the general advice")
  func recoverUnknownDate() throws {
    var c = try Conversation()
    c.say(["recover my account", "changed my mind", "I'm not sure"])
    #expect(c.entered.last == "recover_account.date_unknown")
    #expect(c.lastText.contains("30 days"))
  }

  @Test("recover_account: can't sign in, steps worked")
  func recoverSignInWorked() throws {
    var c = try Conversation()
    c.say(["recover my account", "I can't log in"])
    #expect(c.position == "recover_account.signin")
    #expect(c.lastText.contains("Forgot password"))
    c.say("yes")
    #expect(c.entered.last == "recover_account.signed_in")
  }

  @Test("recover_account: can't sign in, steps failed, hand-off to support")
  func recoverSignInSupport() throws {
    var c = try Conversation()
    c.say(["recover my account", "I'm locked out", "no"])
    #expect(c.position == "recover_account.signin_support")
    #expect(c.lastText.contains("never need your password"))
    let r = c.say("yes")
    #expect(r.actions.first?.type == .handoff)
    #expect(c.entered.last == "recover_account.to_person_signin")
    var d = try Conversation()
    d.say(["recover my account", "I can't log in", "didn't work", "no"])
    #expect(d.entered.last == "recover_account.good_luck_signin")
  }

  @Test("recover_account: 'I forgot my password' goes straight to sign-in help")
  func recoverForgotPassword() throws {
    var c = try Conversation()
    c.say("I forgot my password")
    #expect(c.position == "recover_account.signin")
  }

  // MARK: two_factor

  @Test("two_factor: turn on, then choose SMS or email")
  func twoFactorOn() throws {
    var c = try Conversation()
    c.say("two factor authentication")
    #expect(c.position == "two_factor.goal")
    c.say("turn it on")
    #expect(c.position == "two_factor.method")
    c.say("SMS")
    #expect(c.entered.last == "two_factor.by_sms")
    #expect(c.lastText.contains("security section"))
    var d = try Conversation()
    d.say(["2fa", "enable it", "by email please"])
    #expect(d.entered.last == "two_factor.by_email")
    #expect(d.lastText.contains("verified"))
  }

  @Test(
    "two_factor: the method said up front is not asked again",
    arguments: [
      ("turn on 2fa by sms", "two_factor.by_sms"),
      ("I want to set up two-factor authentication with email", "two_factor.by_email"),
      ("turn off two factor authentication", "two_factor.turn_off"),
      ("disable two-factor by sms", "two_factor.turn_off"),
      ("I want to enable two-factor", "two_factor.method"),
    ])
  func twoFactorUpFront(_ text: String, _ expected: String) throws {
    var c = try Conversation()
    c.say(text)
    #expect((c.entered.last ?? "") == expected)
  }

  @Test("two_factor: turning it off, and a lost phone with a hand-off")
  func twoFactorOffAndLost() throws {
    var c = try Conversation()
    c.say(["two-factor authentication", "turn it off"])
    #expect(c.entered.last == "two_factor.turn_off")
    #expect(c.position == "idle")
    var d = try Conversation()
    d.say(["two-factor authentication", "I lost my phone"])
    #expect(d.position == "two_factor.lost")
    #expect(d.lastText.contains("support"))
    let r = d.say("yes")
    #expect(r.actions.first?.type == .handoff)
    var e = try Conversation()
    e.say(["two-factor authentication", "my phone was stolen", "no"])
    #expect(e.entered.last == "two_factor.lost_done")
  }

  // MARK: update_details

  @Test(
    "update_details: asks which detail, then gives its steps and the verification reminder",
    arguments: [
      ("my email address", "update_details.email"),
      ("phone number", "update_details.phone"),
      ("shipping address", "update_details.address"),
      ("payment method", "update_details.payment"),
      ("my credit card", "update_details.payment"),
      ("password", "update_details.password"),
      ("login details", "update_details.password"),
      ("the name on the account", "update_details.name"),
    ])
  func updateDetailsAsks(_ answer: String, _ expected: String) throws {
    var c = try Conversation()
    c.say("I want to update my details")
    #expect(c.position == "update_details.which")
    c.say(answer)
    #expect(c.entered.suffix(2) == [expected, "update_details.verify_reminder"])
    #expect(c.lastText.contains("email address and phone number are both verified"))
    #expect(c.position == "idle")
  }

  @Test(
    "update_details: the detail named up front (a named capture) skips the question",
    arguments: [
      ("I want to change my email", "email", "update_details.email"),
      ("how do I update my phone number", "phone", "update_details.phone"),
      ("change my billing address", "address", "update_details.address"),
      ("I need to update my payment method", "payment", "update_details.payment"),
      ("change my password", "password", "update_details.password"),
    ])
  func updateDetailsCapture(_ text: String, _ slot: String, _ expected: String) throws {
    var c = try Conversation()
    let r = c.say(text)
    #expect(r.intent == "update_details")
    #expect(r.trace.slotWrites.contains { $0.slot == "detail" && $0.value.lowercased() == slot })
    #expect(!c.entered.contains("update_details.which"))
    #expect(c.entered.contains(expected))
  }

  @Test("update_details: a payment answer never echoes card numbers")
  func updateDetailsCard() throws {
    var c = try Conversation()
    c.say("update my details")
    let r = c.say("my new card is 4111 1111 1111 1111")
    #expect(r.trace.redacted == [.cardNumber])
    #expect(c.entered.contains("update_details.payment"))
    #expect(!everythingEmitted(r).contains("4111"))
  }

  // MARK: troubleshoot_deletion

  @Test(
    "troubleshoot_deletion: each symptom starts at its fix",
    arguments: [
      ("it says the file is in use", "troubleshoot_deletion.restart"),
      ("access is denied", "troubleshoot_deletion.permissions"),
      ("it's read-only", "troubleshoot_deletion.read_only"),
      ("the file is corrupted", "troubleshoot_deletion.disk_check"),
      ("disk errors", "troubleshoot_deletion.disk_check"),
      ("I'm not sure", "troubleshoot_deletion.restart"),
      ("nothing happens", "troubleshoot_deletion.restart"),
    ])
  func troubleshootSymptoms(_ symptom: String, _ expected: String) throws {
    var c = try Conversation()
    c.say("I can't delete a file")
    #expect(c.position == "troubleshoot_deletion.symptom")
    c.say(symptom)
    #expect(c.position == expected)
    c.say("it worked")
    #expect(c.entered.last == "troubleshoot_deletion.fixed")
    #expect(c.position == "idle")
  }

  @Test("troubleshoot_deletion: corrupted files get the repair advice first")
  func troubleshootCorrupted() throws {
    var c = try Conversation()
    c.say(["I can't delete a file", "it seems damaged"])
    #expect(
      c.entered.suffix(2) == [
        "troubleshoot_deletion.corrupted", "troubleshoot_deletion.disk_check",
      ])
    #expect(c.lastText.contains("repair tool"))
    #expect(c.lastText.contains("chkdsk /f /r"))
  }

  @Test("troubleshoot_deletion: nothing works, down the whole list to technical support")
  func troubleshootWholeList() throws {
    var c = try Conversation()
    c.say(["I can't delete a file", "not sure"])
    var order = [c.position]
    for answer in ["no", "didn't work", "still there", "same error", "no luck", "nope"] {
      c.say(answer)
      order.append(c.entered.last ?? "")
    }
    #expect(
      order == [
        "troubleshoot_deletion.restart", "troubleshoot_deletion.permissions",
        "troubleshoot_deletion.read_only", "troubleshoot_deletion.safe_mode",
        "troubleshoot_deletion.disk_check", "troubleshoot_deletion.command_line",
        "troubleshoot_deletion.tech_support",
      ])
    #expect(c.lastText.contains("technical support"))
    #expect(c.position == "idle")
  }

  @Test("troubleshoot_deletion: the symptom in the first message is used")
  func troubleshootFromFirstMessage() throws {
    var c = try Conversation()
    c.say("I can't delete this folder, it says access is denied")
    #expect(c.position == "troubleshoot_deletion.permissions")
    // "still" in the first message never answers "did that work?", asked after new advice.
    var d = try Conversation()
    d.say("I can't delete a file, it still says access denied")
    #expect(d.position == "troubleshoot_deletion.permissions")
    var e = try Conversation()
    e.say("my file still won't delete, it says it's in use")
    #expect(e.position == "troubleshoot_deletion.restart")
  }

  @Test("delete_account: the first message answers one preparation question, not all of them")
  func deleteAccountFromFirstMessage() throws {
    var c = try Conversation()
    c.say("delete my account, I've already backed up everything")
    #expect(c.position == "delete_account.subscriptions")
  }
}
