import ArgumentParser
import SupportBotKit

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check a bot for mistakes: examples that miss, unreachable states, risky patterns.",
    discussion: """
      Prints one `FILE:LINE:COL: error|warning|note: message` line per finding, then a summary \
      on standard error. Exits 1 when there is an error (with --strict, also a warning).
      """)

  @OptionGroup var bot: BotOptions

  @Argument(help: "The bot's directory (default: as for --intents).")
  var directory: String?

  @Flag(help: "Treat warnings as errors.")
  var strict = false

  @Flag(help: "Leave out notes.")
  var quiet = false

  @Flag(help: "Print one JSON object (diagnostics, counts) instead of lines.")
  var json = false

  func run() throws {
    let dir = directory ?? bot.directory
    var result = Checker.check(directory: dir)
    if strict { result = result.strict() }
    if quiet { result.diagnostics.removeAll { $0.severity == .note } }
    if json {
      print(ExplainFormatter.json(result.object()))
      if !result.passed { throw ExitCode(1) }
      return
    }
    for d in result.diagnostics { print(d.description) }
    let errors = result.count(.error)
    let warnings = result.count(.warning)
    let plural = { (n: Int, w: String) in "\(n) \(w)\(n == 1 ? "" : "s")" }
    var summary = "\(dir): \(plural(errors, "error")), \(plural(warnings, "warning"))"
    if result.bot == nil { summary += " (the bot did not load)" }
    stderr(summary)
    if !result.passed { throw ExitCode(1) }
  }
}
