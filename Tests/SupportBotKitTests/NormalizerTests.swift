import Testing

@testable import SupportBotKit

@Suite struct NormalizerTests {
  @Test func typographyAndWhitespace() {
    let n = Normalizer()
    #expect(
      n.normalize("  I\u{2019}d  like\tto \u{201C}close\u{201D}\n my account…  ")
        == "I'd like to \"close\" my account.")
    #expect(n.normalize("a\u{200B}b\u{00A0}c") == "ab c")
    #expect(n.normalize("") == "")
    #expect(n.normalize(" \n\t ") == "")
    #expect(n.normalize("x\u{0007}y") == "x y")
  }

  @Test func substitutionsAreWholeWordsCaseInsensitiveLongestFirst() {
    let n = Normalizer(substitutions: [
      "pls": "please", "acct": "account", "can't": "cannot", "sign in": "login",
      "sign": "SIGN",
    ])
    #expect(n.normalize("PLS close acct") == "please close account")
    #expect(n.normalize("plsx acct2") == "plsx acct2")
    #expect(n.normalize("I can\u{2019}t sign in!") == "I cannot login!")
    #expect(n.normalize("sign here") == "SIGN here")
    #expect(n.normalize("sign  in") == "login")  // whitespace collapses first
  }
}
