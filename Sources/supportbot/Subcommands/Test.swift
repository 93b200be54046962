import ArgumentParser
import Foundation
import SupportBotKit

struct Test: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Replay transcripts (conversation tests) against the bot and report differences.",
    discussion: """
      Each .convo file under PATHS (default: ./Transcripts, else the shipped transcripts) is \
      replayed through the engine. Failures print FILE:LINE, the turn, and expected vs actual. \
      Ends with `N passed, N failed`; exits 1 when any failed.
      """)

  @OptionGroup var bot: BotOptions

  @Argument(help: "Transcript files or directories (searched recursively for *.convo).")
  var paths: [String] = []

  @Option(name: .customLong("filter"), help: "Only transcripts whose title or path contains TEXT.")
  var filter: String?

  @Option(
    name: .customLong("tag"), help: "Only transcripts with this tag (repeatable: all must match).")
  var tags: [String] = []

  @Option(help: "Also write the results as JUnit XML to FILE.")
  var junit: String?

  @Flag(help: "Rewrite the failing exact reply lines (`<`) from the bot's actual replies.")
  var update = false

  @Flag(help: "Report which intents, patterns, states and transitions the transcripts reached.")
  var coverage = false

  @Flag(
    help: """
      Print each transcript re-recorded from the bot's actual answers (exact replies and \
      assertions), for turning a draft of user lines into a transcript; nothing is checked.
      """)
  var record = false

  @Flag(name: .shortAndLong, help: "Print only failures and the summary.")
  var quiet = false

  /// ./Transcripts, or the shipped transcripts next to the sources.
  var defaultPaths: [String] {
    if FileManager.default.fileExists(atPath: "Transcripts") { return ["Transcripts"] }
    let shipped = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Transcripts").path
    return [shipped]
  }

  func run() throws {
    let loaded = try bot.loadBot()
    let files: [String]
    do {
      files = try TranscriptSuite.files(in: paths.isEmpty ? defaultPaths : paths)
    } catch {
      stderr("supportbot test: \(error)")
      throw ExitCode(1)
    }
    if files.isEmpty {
      stderr("supportbot test: no .convo transcripts found")
      throw ExitCode(1)
    }
    let suite = TranscriptSuite(bot: loaded, nameFilter: filter, tags: tags)
    if record {
      for file in files {
        do {
          let t = try TranscriptParser.parse(file: file)
          let log = TranscriptRunner(bot: loaded).record(t)
          print(TranscriptRecorder.render(log, title: t.title, tags: t.tags), terminator: "")
        } catch {
          stderr(error.description)
          throw ExitCode(1)
        }
      }
      return
    }
    var result = suite.run(files, coverage: coverage)
    if update {
      var rewritten: [String] = []
      for o in result.outcomes where !o.failures.isEmpty {
        guard let data = FileManager.default.contents(atPath: o.path),
          let text = String(validating: data, as: UTF8.self),
          let (newText, lines) = TranscriptUpdater.apply(o.failures, to: text)
        else { continue }
        do {
          try Data(newText.utf8).write(to: URL(fileURLWithPath: o.path))
          print("updated \(lines) line\(lines == 1 ? "" : "s") in \(o.path)")
          rewritten.append(o.path)
        } catch {
          stderr("supportbot test: cannot write \(o.path): \(error.localizedDescription)")
        }
      }
      if !rewritten.isEmpty {
        // Report the state after the rewrite.
        result = suite.run(files, coverage: coverage)
      }
    }
    for o in result.outcomes {
      if o.passed {
        if !quiet { print("PASS \(o.path)  \(o.title)") }
      } else {
        print("FAIL \(o.path)  \(o.title)")
        print(o.report)
      }
    }
    if let cov = result.coverage {
      print("")
      print(cov.report(botDirectory: bot.directory))
    }
    if let junit {
      do {
        try Data(JUnitWriter.xml(result).utf8).write(to: URL(fileURLWithPath: junit))
      } catch {
        stderr("supportbot test: cannot write \(junit): \(error.localizedDescription)")
        throw ExitCode(1)
      }
    }
    print(result.summary)
    if result.outcomes.isEmpty {
      stderr("supportbot test: no transcript matched the filter")
      throw ExitCode(1)
    }
    if result.failed > 0 { throw ExitCode(1) }
  }
}
