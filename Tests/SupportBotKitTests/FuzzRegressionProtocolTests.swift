import Foundation
import Testing

@testable import SupportBotKit

/// Inputs the `protocol` fuzz target found (scripts/fuzz protocol), kept as tests.
@Suite struct FuzzRegressionProtocolTests {
  static let bot = """
    messages:
      welcome: "Hi"
      fallback: "Sorry?"
      fallback_handoff: "Want a person?"
      escalate: "Passing you on."
      sensitive_data: "No secrets."
      resume: "Back to {flow_title}: {question}"
    intents:
      - id: yes
        patterns: ['^yes$']
    """

  /// Every reply line must be a JSON object (so valid UTF-8) with `id` and `session`.
  func replies(_ lines: [[UInt8]]) throws -> [[String: Any]] {
    let server = ProtocolServer(
      engine: Engine(bot: try BotLoader.load(files: [("b/bot.yaml", Self.bot)], directory: "b")))
    let today = CivilDate(year: 2026, month: 11, day: 29)
    var out: [[String: Any]] = []
    for line in lines {
      var bytes: [UInt8] = []
      line.withUnsafeBufferPointer { server.handle(line: $0, now: 0, today: today, into: &bytes) }
      #expect(bytes.last == 0x0A)
      #expect(bytes.dropLast().contains(0x0A) == false)
      let object = try JSONSerialization.jsonObject(with: Data(bytes.dropLast()))
      let reply = try #require(
        object as? [String: Any], "\(String(decoding: bytes, as: UTF8.self))")
      #expect(reply["id"] != nil && reply["session"] != nil)
      out.append(reply)
    }
    return out
  }

  /// crash-9b51144d…, crash-f162edd3…, crash-9d1fdf24… (and 26 more of the same kind): a line
  /// with invalid UTF-8 inside its `id` got an `invalid_utf8` error that echoed the id's bytes
  /// verbatim, so the reply itself was not valid UTF-8 (not JSON). Now such an id is null.
  @Test func invalidUTF8InsideTheIdIsNotEchoed() throws {
    let lines: [[UInt8]] = [
      Array(#"{"session":"s1","event":"end","id":[1,{"a"#.utf8) + [0xC6, 0xC6, 0xC6]
        + Array(#"":null}]}"#.utf8),
      Array(#"{"session":"{2","text":"yes","id":"2"#.utf8) + [0xFB]
        + Array(#",exp2ain":true"#.utf8) + [0xC4],
      Array(#"{"session":"s0","text":"yew","id":{"ev"#.utf8) + [0xCC]
        + Array(#"ent":"reset"}}"#.utf8),
    ]
    for reply in try replies(lines) {
      #expect(reply["id"] is NSNull)
      let error = try #require(reply["error"] as? [String: Any])
      #expect(error["code"] as? String == "invalid_utf8")
    }
  }

  /// The id is still echoed when the invalid bytes are elsewhere in the line.
  @Test func validIdIsStillEchoedBesideInvalidText() throws {
    let line =
      Array(#"{"id":[7,"x"],"session":"a","text":"bad "#.utf8) + [0xFF] + Array(#""}"#.utf8)
    let reply = try #require(try replies([line]).first)
    #expect(reply["id"] as? [Any] != nil)
    #expect(reply["session"] as? String == "a")
  }
}
