import Testing

@testable import SupportBotKit

@Suite("Redactor")
struct RedactorTests {
  let redactor = Redactor()

  @Test(
    "Secrets are replaced and named",
    arguments: [
      ("my password is hunter2", "hunter2", Redactor.Kind.password),
      ("password: S3cret!pass", "S3cret!pass", .password),
      ("pw=abc12345", "abc12345", .password),
      ("My password was Tr0ub4dor&3 yesterday", "Tr0ub4dor&3", .password),
      ("card 4111 1111 1111 1111 please", "4111 1111 1111 1111", .cardNumber),
      ("4111-1111-1111-1111", "4111-1111-1111-1111", .cardNumber),
      ("my card is 4111111111111111", "4111111111111111", .cardNumber),
      ("amex 3782 822463 10005", "3782 822463 10005", .cardNumber),
      ("the code is 123456", "123456", .oneTimeCode),
      ("my verification code: 4821", "4821", .oneTimeCode),
      ("OTP 908172", "908172", .oneTimeCode),
      ("PIN is 1234", "1234", .oneTimeCode),
      ("482913", "482913", .oneTimeCode),
      ("the password for my account is opensesame9", "opensesame9", .password),
      ("my password's letmein77", "letmein77", .password),
      ("the code you sent me was 5521", "5521", .oneTimeCode),
      ("code: 12 34 56", "12 34 56", .oneTimeCode),
      ("change my password to hunter22", "hunter22", .password),
      ("my pass-code is 77zebra", "77zebra", .password),
      ("pass-word: Xy9!long", "Xy9!long", .password),
      ("my passcode was deniedX99", "deniedX99", .password),
    ])
  func redacts(_ text: String, _ secret: String, _ kind: Redactor.Kind) {
    let (out, kinds) = redactor.redact(text)
    #expect(!out.contains(secret), "\(out)")
    #expect(out.contains(Redactor.marker))
    #expect(kinds.contains(kind), "\(kinds)")
  }

  @Test(
    "Ordinary messages are left alone",
    arguments: [
      "my password is wrong",
      "my password is not working",
      "I forgot my password",
      "password reset please",
      "my password is too short",
      "I asked 10 days ago",
      "on 3 November 2026",
      "my order 1234567812345678 is late",  // 16 digits failing the Luhn check
      "my zip code is 90210",
      "postal code 12345",
      "error code 80070005",
      "promo code 2024",
      "call me on 07700 900123",
      "two factor codes are not arriving",
      "the code did not arrive. I waited 10 minutes",
      "the password for my account is not working",
      "I got the code 2 days ago",
      "I need my password to access my account",
      "change my password to something stronger",
      "how do I reset my password to be safe",
      "My passcode was denied.",
      "my password was rejected",
      "my pass-code is not working",
      "pass-code is not working",
      "pass-word declined again",
      "my passcode is not recognised",
      "the password was accepted yesterday but now it is failing",
    ])
  func leavesAlone(_ text: String) {
    let (out, kinds) = redactor.redact(text)
    #expect(out == text)
    #expect(kinds.isEmpty, "\(text): \(kinds)")
  }

  @Test("The Luhn check")
  func luhn() {
    #expect(Redactor.luhnValid("4111111111111111"))
    #expect(Redactor.luhnValid("378282246310005"))
    #expect(!Redactor.luhnValid("4111111111111112"))
    #expect(!Redactor.luhnValid("411111111111"))  // too short
    #expect(!Redactor.luhnValid("41111111111111111111"))  // too long
  }

  @Test("Several secrets in one message are all redacted, each kind named once")
  func several() {
    let (out, kinds) = redactor.redact(
      "password: hunter22 and card 4111 1111 1111 1111 and code 123456 and code 654321")
    for s in ["hunter22", "4111", "123456", "654321"] { #expect(!out.contains(s)) }
    #expect(kinds == [.cardNumber, .password, .oneTimeCode])
  }

  @Test("The engine normalises before redacting: typographic dashes and zero-width spaces")
  func engineNormalisesFirst() throws {
    let engine = Engine(bot: try ShippedBot.bot())
    let dashed = engine.redact("card 4111\u{2010}1111\u{2010}1111\u{2010}1111")
    #expect(!dashed.text.contains("1111"))
    let hidden = engine.redact("4111\u{200B}1111 1111 1111")
    #expect(!hidden.text.contains("1111"))
    #expect(hidden.kinds == [.cardNumber])
    let otp = engine.redact("my otp is 123456")
    #expect(!otp.text.contains("123456"))
  }
}
