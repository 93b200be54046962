import ArgumentParser
import Foundation
import SupportBotKit

/// Options every command that loads a bot shares.
struct BotOptions: ParsableArguments {
  @Option(
    name: .customLong("intents"),
    help: "The bot's directory (default: ./Intents, else the shipped bot).")
  var intents: String?

  @Option(help: "The platform's name, used in replies (overrides the bot's `platform` setting).")
  var platform: String?

  /// The directory to load: the option, ./Intents, or the shipped bot next to the sources.
  var directory: String {
    if let intents { return intents }
    if FileManager.default.fileExists(atPath: "Intents") { return "Intents" }
    let shipped = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Intents").path
    return shipped
  }

  /// Loads the bot, printing every diagnostic to stderr and exiting 1 on failure.
  func loadBot() throws -> Bot {
    do {
      var bot = try BotLoader.load(directory: directory)
      if let platform { bot.settings["platform"] = platform }
      return bot
    } catch {
      for d in error.diagnostics { stderr(d.description) }
      throw ExitCode(1)
    }
  }
}

/// Writes a line to standard error.
func stderr(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Today's date in UTC, for drivers (the engine never reads the clock).
func today() -> CivilDate {
  CivilDate.today(secondsSince1970: Int(Date().timeIntervalSince1970))
}
