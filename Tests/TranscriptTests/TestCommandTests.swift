import Foundation
import Testing

/// `supportbot test` as users and CI run it: the built binary, its output and exit status.
@Suite struct TestCommandTests {
  static let root = TranscriptFileTests.root

  /// The binary of this build: `SUPPORTBOT_BIN`, next to the test bundle, or `.build/debug`.
  static let binary: String = {
    if let env = ProcessInfo.processInfo.environment["SUPPORTBOT_BIN"] { return env }
    let candidates = [
      Bundle.main.bundleURL.deletingLastPathComponent(),
      URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
      root.appendingPathComponent(".build/debug"),
    ]
    for d in candidates {
      let p = d.appendingPathComponent("supportbot").path
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return root.appendingPathComponent(".build/debug/supportbot").path
  }()

  struct Run {
    var out: String
    var err: String
    var status: Int32
  }

  /// Runs the binary in `directory` with output to files (no pipe limits).
  func supportbot(_ args: [String], in directory: URL? = nil) throws -> Run {
    let tmp = try Self.tempDir()
    defer { try? FileManager.default.removeItem(at: tmp) }
    let out = tmp.appendingPathComponent("out")
    let err = tmp.appendingPathComponent("err")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    FileManager.default.createFile(atPath: err.path, contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Self.binary)
    p.arguments = args
    p.currentDirectoryURL = directory ?? Self.root
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = try FileHandle(forWritingTo: out)
    p.standardError = try FileHandle(forWritingTo: err)
    try p.run()
    p.waitUntilExit()
    return Run(
      out: String(decoding: try Data(contentsOf: out), as: UTF8.self),
      err: String(decoding: try Data(contentsOf: err), as: UTF8.self), status: p.terminationStatus)
  }

  static func tempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("supportbot-transcripts-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  var intents: String { Self.root.appendingPathComponent("Intents").path }

  @Test func theShippedTranscriptsPassWithFullStateAndTransitionCoverage() throws {
    let r = try supportbot(["test", "--coverage", "--quiet"])
    #expect(r.status == 0, "\(r.out)\n\(r.err)")
    let lines = r.out.split(separator: "\n").map(String.init)
    #expect(lines.last?.hasSuffix(" passed, 0 failed") == true)
    let states = lines.first { $0.hasPrefix("  states ") } ?? ""
    let transitions = lines.first { $0.hasPrefix("  transitions ") } ?? ""
    let intents = lines.first { $0.hasPrefix("  intents ") } ?? ""
    #expect(states.hasSuffix("100.0%"), "\(r.out)")
    #expect(transitions.hasSuffix("100.0%"), "\(r.out)")
    #expect(intents.hasSuffix("100.0%"), "\(r.out)")
  }

  @Test func aBrokenReplyInACopyFailsWithAFileLineDiffAndUpdateFixesIt() throws {
    let dir = try Self.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let original = try String(
      contentsOf: Self.root.appendingPathComponent("Transcripts/sensitive_card_formats.convo"),
      encoding: .utf8)
    let lines = original.split(separator: "\n", omittingEmptySubsequences: false)
    let index = try #require(lines.firstIndex { $0.hasPrefix("< Please don't share") })
    var broken = lines.map(String.init)
    broken[index] = "< Please do not share passwords."
    let copy = dir.appendingPathComponent("broken.convo")
    try broken.joined(separator: "\n").write(to: copy, atomically: true, encoding: .utf8)
    let junit = dir.appendingPathComponent("junit.xml")

    let r = try supportbot(["test", "--intents", intents, copy.path, "--junit", junit.path])
    #expect(r.status == 1)
    #expect(r.out.contains("FAIL \(copy.path)"))
    #expect(r.out.contains("\(copy.path):\(index + 1): replies differ (- expected, + actual):"))
    #expect(r.out.contains("- < Please do not share passwords."))
    #expect(r.out.contains("+ Please don't share passwords, card numbers"))
    #expect(r.out.contains("first difference at column 10"))
    #expect(r.out.hasSuffix("0 passed, 1 failed\n"))
    let xml = try String(contentsOf: junit, encoding: .utf8)
    #expect(xml.contains("<testsuite name=\"transcripts\" tests=\"1\" failures=\"1\""))

    let u = try supportbot(["test", "--intents", intents, copy.path, "--update"])
    #expect(u.status == 0, "\(u.out)")
    #expect(u.out.contains("updated 1 line in \(copy.path)"))
    #expect(try String(contentsOf: copy, encoding: .utf8) == original)
  }

  @Test func filtersByNameAndTag() throws {
    let r = try supportbot(["test", "--tag", "boundary", "--filter", "31"])
    #expect(r.status == 0, "\(r.out)\n\(r.err)")
    #expect(r.out.contains("Transcripts/recover_31_days.convo"))
    #expect(r.out.hasSuffix("1 passed, 0 failed\n"), "\(r.out)")
    let none = try supportbot(["test", "--tag", "no-such-tag"])
    #expect(none.status == 1)
    #expect(none.err.contains("no transcript matched the filter"))
  }

  @Test func aMalformedTranscriptReportsFileLineColumn() throws {
    let dir = try Self.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("bad.convo")
    try "> hello\n<? what\n".write(to: file, atomically: true, encoding: .utf8)
    let r = try supportbot(["test", "--intents", intents, file.path])
    #expect(r.status == 1)
    #expect(r.out.contains("\(file.path):2:1: error: unknown reply expectation `<?`"))
    #expect(
      r.out.contains("\(file.path):1:1: error: the turn says nothing about the bot's replies"))
  }
}
