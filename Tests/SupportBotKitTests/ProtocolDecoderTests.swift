import Foundation
import Testing

@testable import SupportBotKit

/// The error code a line gets, or "ok".
private func code(_ line: String, maxDepth: Int = 32) -> String {
  code(Array(line.utf8), maxDepth: maxDepth)
}

private func code(_ bytes: [UInt8], maxDepth: Int = 32) -> String {
  switch RequestDecoder(maxDepth: maxDepth).decode(bytes) {
  case .success: return "ok"
  case .failure(let f): return f.error.code.rawValue
  }
}

private func request(_ line: String) throws -> Request {
  try RequestDecoder().decode(line).get()
}

private func failure(_ line: String) -> RequestFailure? {
  if case .failure(let f) = RequestDecoder().decode(line) { return f }
  return nil
}

private func idText(_ line: String) -> String? {
  switch RequestDecoder().decode(line) {
  case .success(let r): return r.id.map { String(decoding: $0, as: UTF8.self) }
  case .failure(let f): return f.id.map { String(decoding: $0, as: UTF8.self) }
  }
}

@Suite struct ProtocolDecoderTests {
  @Test func decodesTheDocumentedRequest() throws {
    let r = try request(#"{"session": "s1", "text": "I want to delete my account", "id": 7}"#)
    #expect(r.session == "s1")
    #expect(r.input == .text("I want to delete my account"))
    #expect(r.id == Array("7".utf8))
    #expect(r.explain == false)
  }

  @Test func eventsAndExplain() throws {
    #expect(try request(#"{"event":"start"}"#).input == .start)
    #expect(try request(#"{"event":"reset"}"#).input == .reset)
    #expect(try request(#"{"event":"end"}"#).input == .end)
    #expect(try request(#"{"text":"x","explain":true}"#).explain)
    #expect(try request(#"{"text":"x","explain":false}"#).explain == false)
    #expect(try request(#"{"text":"x"}"#).session == nil)
  }

  @Test func idIsAnyJSONValueEchoedCompactly() {
    #expect(idText(#"{"text":"x","id":7}"#) == "7")
    #expect(idText(#"{"text":"x","id":-0.5e+10}"#) == "-0.5e+10")
    #expect(
      idText(#"{"text":"x","id":123456789012345678901234567890}"#)
        == "123456789012345678901234567890")
    #expect(idText(#"{"text":"x","id":"a\"b\u00e9"}"#) == #""a\"b\u00e9""#)
    #expect(idText(#"{"text":"x","id":null}"#) == "null")
    #expect(idText(#"{"text":"x","id":true}"#) == "true")
    #expect(idText(#"{"text":"x","id": { "a" : [ 1 , { } , [ ] ] } }"#) == #"{"a":[1,{},[]]}"#)
    #expect(idText(#"{"text":"x"}"#) == nil)
  }

  @Test func escapesSurrogatesAndNUL() throws {
    let r = try request(#"{"text":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00\u0000z"}"#)
    #expect(r.input == .text("a\"b\\c/d\u{8}\u{c}\n\r\tAé€😀\u{0}z"))
    let raw = try request("{\"text\":\"héllo 😀\"}")
    #expect(raw.input == .text("héllo 😀"))
    // Escaped field names still count.
    #expect(try request(#"{"t\u0065xt":"x"}"#).input == .text("x"))
  }

  @Test func everyBadInputHasItsOwnCode() {
    #expect(code("") == "empty_line")
    #expect(code("  \t\r") == "empty_line")
    #expect(
      code([0x7B, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D])
        == "invalid_utf8")
    #expect(code("{") == "invalid_json")
    #expect(code("nope") == "invalid_json")
    #expect(code(#"{"text":"x",}"#) == "invalid_json")
    #expect(code(#"{"text":"x"} extra"#) == "invalid_json")
    #expect(code(#"{'text':'x'}"#) == "invalid_json")
    #expect(code(#"{"text":"x","id":01}"#) == "invalid_json")
    #expect(code(#"{"text":"x","id":1.}"#) == "invalid_json")
    #expect(code(#"{"text":"x","id":tru}"#) == "invalid_json")
    #expect(code(#"{"text":"x","id":truex}"#) == "invalid_json")
    #expect(code(#"{"text":"\x"}"#) == "invalid_json")
    #expect(code(#"{"text":"\ud800"}"#) == "invalid_json")
    #expect(code(#"{"text":"\udc00x"}"#) == "invalid_json")
    #expect(code(#"{"text":"\ud800\u0041"}"#) == "invalid_json")
    #expect(code(#"{"text":"\u12"}"#) == "invalid_json")
    #expect(code("{\"text\":\"a\u{1}b\"}") == "invalid_json")
    #expect(code(#"{"text":"unterminated}"#) == "invalid_json")
    #expect(code("[1,2]") == "not_object")
    #expect(code(#""text""#) == "not_object")
    #expect(code("42") == "not_object")
    #expect(code("null") == "not_object")
    #expect(code(#"{"text":"x","id":[[[[1]]]]}"#, maxDepth: 4) == "nesting_too_deep")
    #expect(code(#"{"text":"x","id":[[[1]]]}"#, maxDepth: 4) == "ok")
    #expect(code(String(repeating: "[", count: 100_000)) == "nesting_too_deep")
    #expect(code(#"{"text":"x","text":"y"}"#) == "duplicate_field")
    #expect(code(#"{"session":"s"}"#) == "missing_field")
    #expect(code("{}") == "missing_field")
    #expect(code(#"{"text":5}"#) == "wrong_type")
    #expect(code(#"{"text":null}"#) == "wrong_type")
    #expect(code(#"{"event":["start"]}"#) == "wrong_type")
    #expect(code(#"{"session":1,"text":"x"}"#) == "wrong_type")
    #expect(code(#"{"text":"x","explain":"yes"}"#) == "wrong_type")
    #expect(code(#"{"text":"x","explain":1}"#) == "wrong_type")
    #expect(code(#"{"text":"x","event":"start"}"#) == "conflicting_fields")
    #expect(code(#"{"session":"","text":"x"}"#) == "invalid_session")
    #expect(
      code("{\"session\":\"\(String(repeating: "s", count: 257))\",\"text\":\"x\"}")
        == "invalid_session")
    #expect(code(#"{"event":"restart"}"#) == "unknown_event")
    #expect(code(#"{"event":"START"}"#) == "unknown_event")
  }

  @Test func unknownFieldsAreIgnoredButChecked() {
    #expect(code(#"{"text":"x","extra":{"a":[1,2,{"b":null}]}}"#) == "ok")
    #expect(code(#"{"text":"x","extra":{"a":[1,2,}}"#) == "invalid_json")
  }

  @Test func idAndSessionAreEchoedWhenReadable() {
    let wrong = failure(#"{"id":9,"session":"s9","text":5}"#)
    #expect(wrong?.error.code == .wrongType)
    #expect(wrong?.id == Array("9".utf8))
    #expect(wrong?.session == "s9")
    // Read before the syntax error.
    let broken = failure(#"{"id":"r1","session":"s2","text":"x" oops}"#)
    #expect(broken?.error.code == .invalidJSON)
    #expect(broken?.id == Array(#""r1""#.utf8))
    #expect(broken?.session == "s2")
    // Read after the bad field, since the syntax is intact.
    let later = failure(#"{"text":"x","event":"nope","id":3,"session":"late"}"#)
    #expect(later?.error.code == .conflictingFields)
    #expect(later?.session == "late")
    // A well-formed object without a session speaks for "default".
    #expect(failure(#"{"event":"boom","id":1}"#)?.session == "default")
    #expect(failure("[1]")?.session == nil)
    // Invalid UTF-8 inside the text still lets id and session through.
    var bytes = Array(#"{"id":5,"session":"u","text":"#.utf8)
    bytes += [0x22, 0xC3, 0x28, 0x22, 0x7D]
    if case .failure(let f) = RequestDecoder().decode(bytes) {
      #expect(f.error.code == .invalidUTF8)
      #expect(f.id == Array("5".utf8))
      #expect(f.session == "u")
    } else {
      Issue.record("invalid UTF-8 accepted")
    }
  }

  @Test func salvagesIdAndSessionFromAPrefix() {
    let line = Array(#"{"id":42,"session":"big","text":"aaaaaaaaaaaaaaaaaaaaaaa"#.utf8)
    let (id, session) = line.withUnsafeBufferPointer { RequestDecoder().salvage($0) }
    #expect(id == Array("42".utf8))
    #expect(session == "big")
  }

  @Test func utf8Validation() {
    func valid(_ b: [UInt8]) -> Bool {
      b.withUnsafeBufferPointer { UTF8Check.firstInvalidOffset($0) == nil }
    }
    #expect(valid(Array("plain ascii that is longer than eight bytes".utf8)))
    #expect(valid(Array("é€😀 mixed with ascii text".utf8)))
    #expect(!valid([0xC0, 0x80]))  // overlong NUL
    #expect(!valid([0xE0, 0x80, 0x80]))  // overlong
    #expect(!valid([0xED, 0xA0, 0x80]))  // surrogate
    #expect(!valid([0xF4, 0x90, 0x80, 0x80]))  // above U+10FFFF
    #expect(!valid([0xF8, 0x88, 0x80, 0x80, 0x80]))
    #expect(!valid(Array("abcdefgh".utf8) + [0xE2, 0x82]))  // truncated at the end
    #expect(!valid([0x80]))
    let offset = [UInt8]([0x61, 0x62, 0xFF]).withUnsafeBufferPointer {
      UTF8Check.firstInvalidOffset($0)
    }
    #expect(offset == 2)
  }
}

@Suite struct ProtocolEncoderTests {
  private func json(_ body: (inout JSONWriter) -> Void) -> String {
    var w = JSONWriter()
    body(&w)
    return String(decoding: w.bytes, as: UTF8.self)
  }

  @Test func escapesStrings() {
    #expect(json { $0.string("plain") } == #""plain""#)
    #expect(json { $0.string("q\"b\\s/") } == #""q\"b\\s/""#)
    #expect(json { $0.string("\n\r\t\u{8}\u{c}") } == #""\n\r\t\b\f""#)
    #expect(json { $0.string("\u{0}\u{1}\u{1f}\u{7f}") } == "\"\\u0000\\u0001\\u001f\u{7f}\"")
    #expect(json { $0.string("é€😀\u{2028}") } == "\"é€😀\u{2028}\"")
  }

  @Test func escapesLikeASimpleReferenceAtEveryPosition() {
    func reference(_ s: String) -> String {
      var out: [UInt8] = [0x22]
      for b in s.utf8 {
        switch b {
        case 0x22: out += Array("\\\"".utf8)
        case 0x5C: out += Array("\\\\".utf8)
        case 0x0A: out += Array("\\n".utf8)
        case 0x0D: out += Array("\\r".utf8)
        case 0x09: out += Array("\\t".utf8)
        case 0x08: out += Array("\\b".utf8)
        case 0x0C: out += Array("\\f".utf8)
        case 0..<0x20:
          let h = String(b, radix: 16)
          out += Array(("\\u00" + (h.count == 1 ? "0" + h : h)).utf8)
        default: out.append(b)
        }
      }
      return String(decoding: out + [0x22], as: UTF8.self)
    }
    let specials: [Character] = ["\"", "\\", "\n", "\u{0}", "\u{1f}", "é", "😀", "\u{7f}", " "]
    for length in [0, 1, 7, 8, 9, 15, 16, 17, 33] {
      for at in 0..<max(1, length) {
        for special in specials {
          var chars = Array(repeating: Character("a"), count: length)
          if at < length { chars[at] = special }
          let s = String(chars)
          #expect(json { $0.string(s) } == reference(s), "\(length) \(at)")
        }
      }
    }
  }

  @Test func roundTripsThroughTheDecoder() throws {
    let nasty = "a\"b\\c\n\u{0}\u{1b}[31m é 😀 \u{2028} end"
    let line = json {
      $0.raw("{")
      $0.key("text")
      $0.string(nasty)
      $0.raw("}")
    }
    #expect(try RequestDecoder().decode(line).get().input == .text(nasty))
  }

  @Test func writesAnyJSONValueSorted() {
    let v: [String: Any] = ["b": [1, true, "x"] as [Any], "a": NSNullLike.null, "c": ["z": 1]]
    #expect(json { $0.any(v) } == #"{"a":null,"b":[1,true,"x"],"c":{"z":1}}"#)
  }

  @Test func errorReplyShape() {
    var out: [UInt8] = []
    let f = RequestFailure(
      ProtocolError(.invalidJSON, "bad"), id: Array(#"{"k":[1]}"#.utf8), session: "s")
    ReplyEncoder.error(f, into: &out)
    #expect(
      String(decoding: out, as: UTF8.self)
        == #"{"id":{"k":[1]},"session":"s","error":{"code":"invalid_json","message":"bad"}}"# + "\n"
    )
    out = []
    ReplyEncoder.error(RequestFailure(ProtocolError(.emptyLine, "empty")), into: &out)
    #expect(
      String(decoding: out, as: UTF8.self)
        == #"{"id":null,"session":null,"error":{"code":"empty_line","message":"empty"}}"# + "\n")
  }
}

/// Stands for "not a JSON value we know" in `any`, written as null.
private enum NSNullLike { case null }

/// Differential check against Foundation's parser on many mutated requests: the decoder never
/// crashes, and it accepts a line exactly when the line is a JSON object whose known fields
/// have the right types.
@Suite struct ProtocolDecoderDifferentialTests {
  @Test func agreesWithFoundationOnMutatedLines() throws {
    let seeds = [
      #"{"session":"s1","text":"I want to delete my account","id":7}"#,
      #"{"event":"start","id":[1,{"a":null}],"explain":true}"#,
      #"{"text":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/","id":-1.5e3}"#,
      #"{"text":"x","extra":{"deep":[[[]]],"n":0.25}}"#,
    ]
    let alphabet = Array(#"{}[]":,\"0123456789-+.eEtrufalsn \u00"#.utf8) + [0xC3, 0xA9, 0xFF, 0x0A]
    var rng = UInt64(0x5EED)
    func next(_ n: Int) -> Int {
      rng = rng &* 6364136223846793005 &+ 1442695040888963407
      return Int((rng >> 33) % UInt64(n))
    }
    let decoder = RequestDecoder()
    var accepted = 0
    for round in 0..<20_000 {
      var bytes = Array(seeds[round % seeds.count].utf8)
      for _ in 0..<(1 + next(3)) {
        let at = next(bytes.count + 1)
        switch next(3) {
        case 0: bytes.insert(alphabet[next(alphabet.count)], at: at)
        case 1: if at < bytes.count { bytes.remove(at: at) }
        default: if at < bytes.count { bytes[at] = alphabet[next(alphabet.count)] }
        }
      }
      let ours = decoder.decode(bytes)
      let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: [])
      guard case .success(let request) = ours else {
        // Rejected: Foundation must agree unless a field has a wrong type, is duplicated,
        // or the line holds something Foundation is lenient about.
        continue
      }
      accepted += 1
      let object = try #require(theirs as? [String: Any], "accepted non-object: \(bytes)")
      switch request.input {
      case .text(let t): #expect(object["text"] as? String == t)
      default: #expect(object["event"] is String)
      }
      #expect((object["session"] as? String) == request.session)
    }
    #expect(accepted > 100)
  }
}
