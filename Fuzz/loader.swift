// Fuzz target `loader`: bytes as bot files for BotLoader.load(files:). A 0x01 byte starts the
// next file; a fixed base file supplies the required messages so validation goes deep.
// Invariants: it loads or reports diagnostics (never crashes or hangs), and every diagnostic
// points at a file it was given, at a line and column from 1.
import Foundation
import SupportBotKit

private let base = (
  path: "bot/base.yaml",
  text: """
  messages:
    welcome: "Hi"
    fallback: "Sorry?"
    fallback_handoff: "Want a person?"
    escalate: "Passing you on."
    sensitive_data: "Don't share secrets."
    resume: "Back to {flow_title}: {question}"
  """
)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLoader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let parts = fuzzBytes(data, size).split(separator: 0x01, omittingEmptySubsequences: false)
  var files: [(path: String, text: String)] = []
  for (i, part) in parts.prefix(8).enumerated() {
    files.append(("bot/f\(i).yaml", String(decoding: part, as: UTF8.self)))
  }
  let withBase = [base] + files
  for set in [files, withBase] {
    do {
      let bot = try BotLoader.load(files: set, directory: "bot")
      // A bot that loads must also run.
      let engine = Engine(bot: bot)
      let today = CivilDate(year: 2026, month: 11, day: 29)
      var s = engine.step(SessionState(), Turn(.start, today: today)).state
      for text in ["hello", "delete my account", "yes", "no", "10 days ago", "help"] {
        s = engine.step(s, .text(text, today: today)).state
      }
    } catch {
      let paths = Set(set.map(\.path) + ["bot"])
      for d in error.diagnostics {
        if !paths.contains(d.location.file) || d.location.line < 1 || d.location.column < 1 {
          fuzzFailure("diagnostic at an impossible place: \(d.description)")
        }
      }
    }
  }
  return 0
}
