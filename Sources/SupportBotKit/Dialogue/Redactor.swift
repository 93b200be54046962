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
    // JIT compilation waits until a pattern first runs (most messages need none of them).
    card = try? Pattern(
      #"(?<![\d-])\d(?:[ \-\x{2010}-\x{2015}\x{2212}\x{00A0}\x{202F}]?\d){12,18}(?![\d])"#,
      jit: false)
    password = try? Pattern(
      #"\b(?:password|passwd|pwd|pass[ -]?word|pass-?code|pass(?!-\w)|pw|passcode)\b(?:\s+(?:for|of|on|to)(?:\s+[\w@.-]+){1,3}?)?(?:\s*(?:is|was|=|:|-)\s*|\s*(?:is|was)\s*:?\s*|'s\s+|\s+(?:to|as)\s+)["'“]?(?!(?:not|wrong|incorrect|invalid|expired|too|correct|right|working|broken|locked|blocked|reset|changed|compromised|stolen|leaked|weak|strong|the|my|a|an|same|still|also|now|being|no|required|needed|forgotten|lost|different|case|sensitive|something|anything|one|what|be|make|get|access|log|login|sign|enter|open|protect|secure|keep|stay|prevent|avoid|update|include|contain|use|have|do|work|it|this|that|your|our|their|reset|change|recover|remember|more|less|longer|shorter|denied|rejected|declined|refused|accepted|recogni[sz]ed|failing|failed|fails|valid|verified|unknown|locked|disabled|expiring|forgot|forgotten)\b)(?<value>[^\s"'”]{3,})"#,
      jit: false)
    code = try? Pattern(
      #"(?<!zip )(?<!postal )(?<!post )(?<!area )(?<!country )(?<!error )(?<!promo )(?<!discount )(?<!coupon )(?<!tracking )(?<!product )(?<!item )(?<!hs )\b(?:code|otp|pin|passcode|one[- ]time (?:code|password|pin)|token)\b[^\d.?!]{0,30}?(?<![\d-])(?<value>\d(?:[ -]?\d){3,7})(?!\d)"#,
      jit: false)
    bareCode = try? Pattern(#"^\s*(?<value>\d{6,8})\s*[.!]?\s*$"#, jit: false)
  }

  /// The text with secrets replaced, and the kinds found (in order, without repeats).
  public func redact(_ text: String) -> (text: String, kinds: [Kind]) {
    // Each pattern needs something a quick scan can rule out: card numbers 13 digits or more,
    // codes 4 or more (6 for a bare one), passwords the letters `pa` or `pw` (caseless; no
    // other character folds to these). `\d` also matches non-ASCII digits, so every non-ASCII
    // character counts as a possible digit. Replacing a secret never adds digits, so the
    // counts stay upper bounds while the patterns run in turn.
    let clues =
      text.utf8.withContiguousStorageIfAvailable { Clues($0) } ?? Clues(Array(text.utf8))
    let runCard = card != nil && clues.maybeDigits >= 13
    let runPassword = password != nil && clues.passwordWord
    let runCode = code != nil && clues.maybeDigits >= 4
    let runBareCode = bareCode != nil && clues.maybeDigits >= 6
    guard runCard || runPassword || runCode || runBareCode else { return (text, []) }

    var bytes = Array(text.utf8)
    var changed = false
    var kinds: [Kind] = []
    if runCard, let card {
      changed =
        replaceAll(card, in: &bytes, group: 0) { digits in
          Self.luhnValid(String(decoding: digits, as: UTF8.self).filter(\.isNumber))
        } onHit: {
          if !kinds.contains(.cardNumber) { kinds.append(.cardNumber) }
        } || changed
    }
    if runPassword, let password {
      changed =
        replaceAll(password, in: &bytes, group: 1) { v in
          String(decoding: v, as: UTF8.self) != Self.marker
        } onHit: {
          if !kinds.contains(.password) { kinds.append(.password) }
        } || changed
    }
    for p in [runCode ? code : nil, runBareCode ? bareCode : nil].compactMap({ $0 }) {
      changed =
        replaceAll(p, in: &bytes, group: 1) { _ in
          true
        } onHit: {
          if !kinds.contains(.oneTimeCode) { kinds.append(.oneTimeCode) }
        } || changed
    }
    return (changed ? String(decoding: bytes, as: UTF8.self) : text, kinds)
  }

  /// What a quick pass over the text tells about which patterns could match.
  private struct Clues {
    /// ASCII digits plus non-ASCII characters (which might be digits).
    var maybeDigits = 0
    /// Whether `pa` or `pw` occurs, in any case.
    var passwordWord = false

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
      var previousWasP = false
      for b in bytes {
        if b >= 0x30 && b <= 0x39 || b >= 0xC0 { maybeDigits += 1 }
        let lower = b | 0x20
        if previousWasP && (lower == 0x61 || lower == 0x77) { passwordWord = true }
        previousWasP = lower == 0x70
      }
    }

    init(_ bytes: [UInt8]) {
      self = bytes.withUnsafeBufferPointer { Clues($0) }
    }
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

  /// Replaces every accepted match of `p` (its group `group`, else the whole match) in `bytes`
  /// with the marker; true if anything was replaced.
  private func replaceAll(
    _ p: Pattern, in bytes: inout [UInt8], group: Int,
    accept: (UnsafeBufferPointer<UInt8>) -> Bool, onHit: () -> Void
  ) -> Bool {
    var start = 0
    var changed = false
    // Every pass moves `start` forward, so this ends; the bound is only a second safety net.
    var passes = 0
    while start <= bytes.count, passes <= bytes.count + 1 {
      passes += 1
      let found: (range: Range<Int>, take: Bool)? = bytes.withUnsafeBufferPointer { buf in
        do {
          guard try p.firstMatch(in: buf, from: start, scratch: scratch) != nil else {
            return nil
          }
          let r = scratch.range(ofGroup: group) ?? scratch.range(ofGroup: 0) ?? start..<start
          return (r, accept(UnsafeBufferPointer(rebasing: buf[r])))
        } catch {
          // A match limit on hostile input: fail closed and hide the rest of the message.
          return (start..<buf.count, true)
        }
      }
      guard let (r, take) = found else { break }
      if take {
        bytes.replaceSubrange(r, with: Self.markerBytes)
        start = r.lowerBound + Self.markerBytes.count
        changed = true
        onHit()
      } else {
        start = r.upperBound > r.lowerBound ? r.upperBound : r.lowerBound + 1
      }
      // Keep `start` on a character boundary.
      while start < bytes.count, bytes[start] & 0xC0 == 0x80 { start += 1 }
    }
    return changed
  }

  private static let markerBytes = Array(marker.utf8)
}
