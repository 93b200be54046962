import ArgumentParser
import Foundation
import SupportBotKit

struct Explain: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show every intent a message matches, with patterns, spans, captures and ranking.",
    discussion: """
      The same data as the chat's /why and the protocol's explain. With --state FLOW.STATE the \
      message is classified as an answer in that state (its intents are expected).
      """)

  @OptionGroup var bot: BotOptions

  @Argument(help: "The message to explain.")
  var text: String

  @Option(help: "Classify as an answer in this state (FLOW.STATE).")
  var state: String?

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let loaded = try bot.loadBot()
    let engine = Engine(bot: loaded, buildInBackground: true)
    var expected: Set<String> = []
    if let state {
      let parts = state.split(separator: ".", maxSplits: 1).map(String.init)
      guard parts.count == 2, let flow = loaded.flow(parts[0]) else {
        stderr(
          "error: --state wants FLOW.STATE; flows: "
            + loaded.flows.map(\.id).joined(separator: ", "))
        throw ExitCode(1)
      }
      guard let s = flow.state(parts[1]) else {
        stderr(
          "error: flow '\(flow.id)' has no state '\(parts[1])'; states: "
            + flow.stateOrder.joined(separator: ", "))
        throw ExitCode(1)
      }
      expected = s.expectedIntents
    }
    let redacted = engine.redact(text).text
    let cls = engine.matcher.classify(redacted, expected: expected)
    // Contextual intents count only where a state expects them: say which would have matched.
    let unexpected = Set(
      loaded.intents.filter { $0.contextual && !expected.contains($0.id) }.map(\.id))
    let elsewhere =
      unexpected.isEmpty
      ? []
      : engine.matcher.classify(redacted, expected: expected.union(unexpected)).candidates
        .filter { unexpected.contains($0.intent) && $0.excludedBy == nil }.map(\.intent)
    if json {
      var o = ExplainFormatter.object(cls)
      o["state"] = state ?? NSNull()
      o["expected"] = expected.sorted()
      o["contextual_not_expected"] = elsewhere
      print(ExplainFormatter.json(o))
    } else {
      print(
        "state: \(state ?? "idle")"
          + (expected.isEmpty ? "" : " (expects: \(expected.sorted().joined(separator: ", ")))"))
      print(ExplainFormatter.text(cls))
      if !elsewhere.isEmpty {
        print(
          "also matches, but counts only where a state expects it (contextual): "
            + elsewhere.joined(separator: ", "))
      }
    }
  }
}
