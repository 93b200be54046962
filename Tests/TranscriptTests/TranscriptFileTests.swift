import Foundation
import SupportBotKit
import Synchronization
import Testing

/// Every `.convo` file in `Transcripts/` is its own test case, replayed against the shipped bot
/// in `Intents/` exactly as `supportbot test` does.
@Suite struct TranscriptFileTests {
  /// The repository root, found from this file's path.
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// Transcript paths relative to the root (what the test names show).
  static let files: [String] = {
    let dir = root.appendingPathComponent("Transcripts").path
    let all = (try? TranscriptSuite.files(in: [dir])) ?? []
    return all.map { String($0.dropFirst(root.path.count + 1)) }
  }()

  static let bot: Result<Bot, BotLoadError> = {
    do throws(BotLoadError) {
      return .success(try BotLoader.load(directory: root.appendingPathComponent("Intents").path))
    } catch {
      return .failure(error)
    }
  }()

  @Test("the shipped transcripts exist") func thereAreTranscripts() {
    #expect(Self.files.count >= 1, "no .convo files under Transcripts/")
  }

  /// One runner (and so one engine) for every case; replays are quick, building engines is not.
  static let shared = Mutex<TranscriptRunner?>(nil)

  @Test("transcript replays green", arguments: files)
  func replays(_ file: String) throws {
    let bot = try Self.bot.get()
    let path = Self.root.appendingPathComponent(file).path
    let outcome = Self.shared.withLock { runner -> TranscriptOutcome in
      let r = runner ?? TranscriptRunner(bot: bot)
      runner = r
      var coverage: TranscriptCoverage? = nil
      return r.run(file: path, coverage: &coverage).1
    }
    #expect(outcome.passed, "\n\(outcome.report)")
  }
}

/// The README's transcript example is a shipped transcript, word for word.
@Test func theReadmeExampleIsAShippedTranscript() throws {
  let root = TranscriptFileTests.root
  let readme = try String(
    contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
  let section = try #require(readme.range(of: "<!-- section:transcripts -->"))
  let open = try #require(
    readme.range(of: "```text\n", range: section.upperBound..<readme.endIndex))
  let close = try #require(readme.range(of: "```\n", range: open.upperBound..<readme.endIndex))
  let example = String(readme[open.upperBound..<close.lowerBound])
  let file = try String(
    contentsOf: root.appendingPathComponent("Transcripts/readme_example.convo"), encoding: .utf8)
  #expect(example == file)
}
