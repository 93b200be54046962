import ArgumentParser

@main
struct SupportBotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "supportbot",
    abstract: "A deterministic support bot: PCRE2 intents, state-machine dialogues.",
    discussion: """
      Every command loads a bot from a directory of YAML files (default: ./Intents, or the \
      shipped bot). See README.md for the file formats and the JSON protocol.
      """,
    subcommands: [
      Classify.self, Test.self, Check.self, Chat.self, Serve.self, Explain.self, Graph.self,
      Patterns.self, Bench.self,
    ]
  )
}
