import ArgumentParser
import SupportBotKit

struct Patterns: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List every compiled pattern in the order the matcher tries them.",
    discussion: """
      With --json: one object with `patterns` (intent, kind, options, priority, location, …), \
      `slot_patterns`, the ranking rules and the normalisation the patterns see.
      """)

  @OptionGroup var bot: BotOptions

  @Flag(help: "Print JSON (one line; --pretty for indented).")
  var json = false

  @Flag(help: "Indent the JSON.")
  var pretty = false

  func run() throws {
    let loaded = try bot.loadBot()
    if json || pretty {
      print(PatternExport.json(loaded, pretty: pretty))
    } else {
      print(PatternExport.text(loaded))
    }
  }
}
