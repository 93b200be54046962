import PCRE2

/// Finds secrets in user text (passwords, payment-card numbers, one-time codes) and replaces
/// them with `[redacted]` before anything else sees the text.
///
/// Card numbers are 13–19 digits, optionally separated by spaces or dashes, that pass the Luhn
/// check. Passwords are values after "password is", "password:", "pw=", "password for my
/// account is", "change my password to" and the like (but not "password is wrong", "password
/// to access my account", "passcode was denied"); "pass-code" is one keyword, never "pass", a
/// dash and the value "code". Codes are 4–8 digits in the same
/// sentence shortly after "code", "OTP", "PIN", "verification code"…,
/// or a message that is nothing but 6–8 digits; not after "zip", "postal", "error", "promo",
/// "tracking" and similar words that make a code public.
public final class Redactor {
  /// What kind of secret was found.
  public enum Kind: String, Sendable, Hashable, Codable {
    case password
    case cardNumber = "card_number"
    case oneTimeCode = "one_time_code"
  }

  public static let marker = "[redacted]"

  private let scratch: MatchScratch
  private let card: Pattern?
  private let password: Pattern?
  private let code: Pattern?
  private let bareCode: Pattern?

  public init() {
    scratch = MatchScratch(groups: 4)
    card = try? Pattern(
      #"(?<![\d-])\d(?:[ \-\x{2010}-\x{2015}\x{2212}\x{00A0}\x{202F}]?\d){12,18}(?![\d])"#)
    password = try? Pattern(
      #"\b(?:password|passwd|pwd|pass[ -]?word|pass-?code|pass(?!-\w)|pw|passcode)\b(?:\s+(?:for|of|on|to)(?:\s+[\w@.-]+){1,3}?)?(?:\s*(?:is|was|=|:|-)\s*|\s*(?:is|was)\s*:?\s*|'s\s+|\s+(?:to|as)\s+)["'“]?(?!(?:not|wrong|incorrect|invalid|expired|too|correct|right|working|broken|locked|blocked|reset|changed|compromised|stolen|leaked|weak|strong|the|my|a|an|same|still|also|now|being|no|required|needed|forgotten|lost|different|case|sensitive|something|anything|one|what|be|make|get|access|log|login|sign|enter|open|protect|secure|keep|stay|prevent|avoid|update|include|contain|use|have|do|work|it|this|that|your|our|their|reset|change|recover|remember|more|less|longer|shorter|denied|rejected|declined|refused|accepted|recogni[sz]ed|failing|failed|fails|valid|verified|unknown|locked|disabled|expiring|forgot|forgotten)\b)(?<value>[^\s"'”]{3,})"#
    )
    code = try? Pattern(
      #"(?<!zip )(?<!postal )(?<!post )(?<!area )(?<!country )(?<!error )(?<!promo )(?<!discount )(?<!coupon )(?<!tracking )(?<!product )(?<!item )(?<!hs )\b(?:code|otp|pin|passcode|one[- ]time (?:code|password|pin)|token)\b[^\d.?!]{0,30}?(?<![\d-])(?<value>\d(?:[ -]?\d){3,7})(?!\d)"#
    )
    bareCode = try? Pattern(#"^\s*(?<value>\d{6,8})\s*[.!]?\s*$"#)
  }

  /// The text with secrets replaced, and the kinds found (in order, without repeats).
  public func redact(_ text: String) -> (text: String, kinds: [Kind]) {
    var current = text
    var kinds: [Kind] = []
    if let card {
      current = replaceAll(card, in: current, group: 0) { digits in
        Self.luhnValid(digits.filter(\.isNumber))
      } onHit: {
        if !kinds.contains(.cardNumber) { kinds.append(.cardNumber) }
      }
    }
    if let password {
      current = replaceAll(password, in: current, group: 1) { v in
        v != Self.marker
      } onHit: {
        if !kinds.contains(.password) { kinds.append(.password) }
      }
    }
    for p in [code, bareCode].compactMap({ $0 }) {
      current = replaceAll(p, in: current, group: 1) { _ in
        true
      } onHit: {
        if !kinds.contains(.oneTimeCode) { kinds.append(.oneTimeCode) }
      }
    }
    return (current, kinds)
  }

  /// Luhn checksum over a string of digits, 13–19 long.
  public static func luhnValid(_ digits: String) -> Bool {
    let values = digits.compactMap(\.wholeNumberValue)
    guard (13...19).contains(values.count) else { return false }
    var sum = 0
    for (i, d) in values.reversed().enumerated() {
      if i % 2 == 1 {
        let doubled = d * 2
        sum += doubled > 9 ? doubled - 9 : doubled
      } else {
        sum += d
      }
    }
    return sum % 10 == 0
  }

  private func replaceAll(
    _ p: Pattern, in text: String, group: Int, accept: (String) -> Bool, onHit: () -> Void
  ) -> String {
    var s = text
    s.makeContiguousUTF8()
    var bytes = Array(s.utf8)
    var start = 0
    var changed = false
    // Every pass moves `start` forward, so this ends; the bound is only a second safety net.
    var passes = 0
    while start <= bytes.count, passes <= bytes.count + 1 {
      passes += 1
      var failed = false
      let found: Range<Int>? = bytes.withUnsafeBufferPointer { buf in
        do {
          guard try p.firstMatch(in: buf, from: start, scratch: scratch) != nil else {
            return nil
          }
          return scratch.range(ofGroup: group) ?? scratch.range(ofGroup: 0)
        } catch {
          // A match limit on hostile input: fail closed and hide the rest of the message.
          failed = true
          return start..<buf.count
        }
      }
      guard let r = found else { break }
      let value = String(decoding: bytes[r], as: UTF8.self)
      if failed || accept(value) {
        bytes.replaceSubrange(r, with: Array(Self.marker.utf8))
        start = r.lowerBound + Self.marker.utf8.count
        changed = true
        onHit()
      } else {
        start = r.upperBound > r.lowerBound ? r.upperBound : r.lowerBound + 1
      }
      // Keep `start` on a character boundary.
      while start < bytes.count, bytes[start] & 0xC0 == 0x80 { start += 1 }
    }
    return changed ? String(decoding: bytes, as: UTF8.self) : text
  }
}
