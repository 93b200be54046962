import ArgumentParser
import SupportBotKit

struct Classify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show which intent a message gets, its entities, and why.")

  @OptionGroup var bot: BotOptions

  @Argument(help: "The message to classify, or - to classify each line of standard input.")
  var text: String

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let loaded = try bot.loadBot()
    let engine = Engine(bot: loaded, buildInBackground: true)
    if text == "-" {
      // Batch mode: one line in, one `intent<TAB>text` line out (fallback for no intent).
      while let line = readLine() {
        let cls = engine.matcher.classify(engine.redact(line).text)
        print("\(cls.intent ?? "fallback")\t\(line)")
      }
      return
    }
    let redacted = engine.redact(text).text
    let cls = engine.matcher.classify(redacted)
    if json {
      print(ExplainFormatter.json(cls))
    } else {
      print(ExplainFormatter.text(cls))
    }
  }
}
