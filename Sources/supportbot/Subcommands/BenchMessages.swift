/// The messages `supportbot bench` uses when no `--messages` file is given: what customers
/// of an account help desk write, in their own words — short and long, typos, shouting,
/// typographic quotes, emoji, other languages, off-topic questions — plus longer messages
/// built from them the way people write paragraphs. Deterministic: every run sees the same
/// list.
enum BenchMessages {
  /// Hand-written messages, one per line of a typical conversation.
  static let written: [String] = [
    // Deleting or closing the account.
    "I want to delete my account",
    "delete my account",
    "How do I close my account?",
    "please deactivate my Alibaba account",
    "terminate my account please",
    "I'd like to permanently remove my profile and all my data",
    "how can i get rid of this account, i don\u{2019}t use it anymore",
    "CLOSE MY ACCOUNT NOW",
    "pls delete acct",
    "I no longer want to be a member, cancel my membership",
    "Can you erase my account? I have another one I use for business.",
    "I want to shut down my seller account and keep my buyer account",
    "what happens if I delete my account",
    "Is deleting my account permanent or can I change my mind later?",
    "how long does account deletion take",
    "my husband passed away, how do I close his account",
    "I want to leave alibaba",
    "unsubscribe me from everything and delete my profile",
    "Delete. My. Account.",
    "i want my account deleted asap!!!",
    "how to delete alibaba account from mobile app",
    "Can I delete my account if I still have an open order?",
    "I requested deletion yesterday but I can still log in, is that normal?",
    "will you still keep my data after i close my account",
    "What is your data retention policy after closure?",
    "I changed my mind, please cancel the deletion of my account",
    "stop the account deletion, I want to keep it",
    "Can a deleted account be recovered?",
    "is there a grace period before my account is gone for good",
    // Getting back in.
    "I forgot my password",
    "I can't log in to my account",
    "my account is locked",
    "why is my account blocked?",
    "cant login",
    "I can\u{2019}t remember the email I used to sign up",
    "the reset password link never arrives",
    "someone hacked my account and changed the password",
    "I think my account was compromised, there are orders I didn't place",
    "recover my account",
    "I lost access to my account after changing phones",
    "it says my account has been suspended, why??",
    "locked out after too many attempts",
    "I forgot my login details",
    "my password doesn't work anymore",
    "how do I reset my password if I don't have access to my email",
    // Two-factor authentication.
    "how do I turn on two-factor authentication",
    "enable 2FA on my account",
    "I want to set up two step verification by SMS",
    "can I get my login codes by email instead",
    "I lost my phone and can't get the verification code",
    "turn off 2fa please",
    "the authenticator app codes are not working",
    "my verification code never arrives",
    "I got a new phone, how do I move my authenticator",
    "by sms",
    "email please",
    "text message is fine",
    // Updating details.
    "I want to change my email address",
    "how do I update my phone number",
    "I moved and need to change my address",
    "change the card on file",
    "update my payment method",
    "can I change my username?",
    "I need to fix a typo in my company name",
    "how do I add a new shipping address",
    "my phone number changed and now I can't receive codes",
    "change password",
    // Files that won't delete.
    "I can't delete this file, it says it's in use by another program",
    "the folder won\u{2019}t delete, access denied",
    "how do I force delete a file on windows",
    "file keeps coming back after I delete it",
    "it says the file is read only",
    "the disk is full and I cannot remove anything",
    "error 0x80070091 the directory is not empty",
    "the file might be corrupted and won't go away",
    "it worked, thanks!",
    "still not working",
    // Identity, backups, subscriptions, connected services.
    "how do I verify my identity",
    "why do you need my ID to close my account?",
    "can I download my order history before I delete my account",
    "I want a copy of all my data",
    "export my invoices please",
    "how do I cancel my subscription",
    "will I still be charged after I delete my account?",
    "stop the automatic renewal of my gold membership",
    "disconnect my PayPal from alibaba",
    "unlink my google account",
    "I signed up with Facebook, how do I delete the account",
    "what happens to my buyer protection claims if I close my account",
    // Small talk and conversation control.
    "hi",
    "hello",
    "Hey there!",
    "good morning",
    "thanks",
    "thank you so much, that was helpful",
    "bye",
    "yes",
    "yep",
    "no",
    "nope, not really",
    "cancel",
    "never mind",
    "can you repeat that?",
    "what can you do",
    "help",
    "are you a bot?",
    "am I talking to a real person",
    "I want to talk to a human",
    "let me speak to an agent please",
    "skip",
    "I'm not sure",
    "I don't know",
    "actually I changed my mind",
    "ok",
    "hmm",
    "?",
    "...",
    "\u{1F44D}",
    "\u{1F621}\u{1F621}\u{1F621} this is ridiculous",
    // Off-topic, other languages, noise.
    "what's the weather tomorrow",
    "where is my order",
    "my package arrived damaged",
    "how do I become a supplier",
    "Do you sell iPhone 15 cases in bulk?",
    "the price on the listing is wrong",
    "I want a refund for order 12345",
    "delete an item from my cart",
    "cancel an order",
    "close the app",
    "recover a deleted email in Gmail",
    "my card is blocked",
    "text message chris and say I love you",
    "what is the area code for Denver",
    "je veux supprimer mon compte",
    "quiero eliminar mi cuenta",
    "\u{6211}\u{60F3}\u{5220}\u{9664}\u{6211}\u{7684}\u{8D26}\u{6237}",
    "\u{4F60}\u{597D}",
    "Ich m\u{F6}chte mein Konto l\u{F6}schen",
    "asdfghjkl",
    "test",
    "12345",
    "\u{201C}delete\u{201D} \u{2014} that\u{2019}s what I said\u{2026}",
    "I    want   to     delete    my    account",
    "I want to delete my account\u{200B}",
    "WHY IS IT SO HARD TO CLOSE AN ACCOUNT ON THIS SITE",
  ]

  /// Longer messages: how people write when they explain a whole situation.
  static let paragraphs: [String] = [
    """
    Hello, I opened an account about three years ago to buy some supplies for my small \
    bakery, but I have since closed the business and I don't need it anymore. I would like \
    to delete my account and all of the personal information you have about me, including \
    my address and my saved cards. Could you tell me how to do that and how long it takes?
    """,
    """
    Hi there. I've been trying to log in for two days now and every time I enter my password \
    it says the password is incorrect, even though I'm sure it's right. I tried the "forgot \
    password" link but the email never arrives, I've checked spam too. I really need to get \
    into my account because I have an order pending with a supplier. What can I do?
    """,
    """
    I got a new phone last week and didn't think about the authenticator app. Now when I try \
    to sign in it asks for a six digit code from the app, which is gone with the old phone. \
    I still have the same phone number. Is there a way to get the code by SMS instead, or to \
    turn off two-factor authentication until I set it up again on the new phone?
    """,
    """
    Good afternoon, I moved to a new city and need to update my shipping address, my phone \
    number and probably the billing address on my card as well. I couldn't find where to \
    change these in the app, the settings page only shows my email. Thanks in advance.
    """,
    """
    This is the third time I'm writing about this. There is a folder on my desktop that I \
    downloaded from one of your sellers and it will not delete. Windows says "you need \
    permission to perform this action" even though I'm the administrator. I've tried \
    restarting, I've tried the command prompt, nothing works. Please help, it's driving me mad.
    """,
    """
    Before I close my account I want to make sure I have a copy of all my invoices and my \
    order history for my accountant, and that my gold membership subscription is cancelled \
    so I don't get charged again next month. Also, what happens to the reviews I wrote? Will \
    they be deleted too or do they stay on the product pages?
    """,
    """
    I received an email saying my account will be deleted in 30 days because I requested it, \
    but I never asked for that! I think someone else has access to my account. Please stop \
    the deletion, and tell me how to secure my account and check which devices are logged in.
    """,
    """
    so basically what happened is i was trying to buy something and it said my account was \
    restricted and i need to verify my identity but when i upload my passport photo it just \
    says error and goes back to the start. ive done it like ten times now. can someone look \
    at this please because i cant buy anything and i need these parts by friday
    """,
  ]

  /// The list: the written messages, the paragraphs, and a few hundred combinations (two to
  /// six messages joined, as in a chat window pasted into one line, plus very long ones).
  static let all: [String] = {
    var out = written + paragraphs
    var state: UInt64 = 0x5EED
    func next(_ n: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(n))
    }
    let joiners = [" ", ". ", ", ", "! ", " and ", " \u{2014} ", "? ", "\n", " also "]
    for _ in 0..<240 {
      let parts = 2 + next(5)
      var m = written[next(written.count)]
      for _ in 1..<parts { m += joiners[next(joiners.count)] + written[next(written.count)] }
      out.append(m)
    }
    for _ in 0..<24 {
      var m = paragraphs[next(paragraphs.count)]
      for _ in 0..<(1 + next(4)) {
        m += " " + paragraphs[next(paragraphs.count)]
      }
      out.append(m)
    }
    return out
  }()
}
