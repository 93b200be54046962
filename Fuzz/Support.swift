// Shared by every fuzz target (scripts/fuzz compiles it into each one).
import Foundation
import SupportBotKit

/// Stops the run with a message libFuzzer records as a crash, with the input saved.
func fuzzFailure(_ message: String) -> Never {
  FileHandle.standardError.write(Data(("fuzz invariant broken: " + message + "\n").utf8))
  abort()
}

/// The shipped bot (`SUPPORTBOT_INTENTS`, set by scripts/fuzz, else ./Intents).
func loadShippedBot() -> Bot {
  let dir = ProcessInfo.processInfo.environment["SUPPORTBOT_INTENTS"] ?? "Intents"
  do {
    return try BotLoader.load(directory: dir)
  } catch {
    fuzzSetupFailure("cannot load the bot in \(dir): \(error.diagnostics.map(\.description))")
  }
}

/// A broken set-up (not a finding): exits without a crash report.
func fuzzSetupFailure(_ message: String) -> Never {
  FileHandle.standardError.write(Data(("fuzz setup: " + message + "\n").utf8))
  exit(2)
}

/// The fuzz input as a byte array.
func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
  Array(UnsafeBufferPointer(start: data, count: size))
}
