import Foundation
import SupportBotKit

/// The small bot and transcripts under Tests/Fixtures/transcripts, for the transcript tests.
enum TranscriptFixtures {
  static let dir = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/transcripts")

  static func bot() throws -> Bot {
    try BotLoader.load(directory: dir.appendingPathComponent("bot").path)
  }

  /// Parses `text` (as `test.convo`) and replays it against the fixture bot.
  static func replay(_ text: String, coverage: inout TranscriptCoverage?) throws
    -> TranscriptOutcome
  {
    let t = try TranscriptParser.parse(text, path: "test.convo")
    return TranscriptRunner(bot: try bot()).run(t, coverage: &coverage)
  }

  static func replay(_ text: String) throws -> TranscriptOutcome {
    var none: TranscriptCoverage? = nil
    return try replay(text, coverage: &none)
  }

  /// The parse errors of `text`, as `LINE:COL: message`.
  static func errors(_ text: String) -> [String] {
    do {
      _ = try TranscriptParser.parse(text, path: "t.convo")
      return []
    } catch {
      return error.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.message)" }
    }
  }
}
