// Fuzz target `transcript`: bytes as a `.convo` transcript for TranscriptParser; what parses
// is replayed against the shipped bot with coverage, as `supportbot test` does.
// Invariants: it parses or reports diagnostics (never crashes or hangs), every diagnostic
// points into the file (line 1…lines+1, column ≥ 1), and a replay never crashes.
import Foundation
import SupportBotKit

nonisolated(unsafe) private var runner: TranscriptRunner?
nonisolated(unsafe) private var shipped: Bot?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTranscript(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  if runner == nil {
    let bot = loadShippedBot()
    shipped = bot
    runner = TranscriptRunner(bot: bot)
  }
  guard let runner, let shipped else { return 0 }
  let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
  let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
  do {
    let transcript = try TranscriptParser.parse(text, path: "fuzz.convo")
    var coverage: TranscriptCoverage? = TranscriptCoverage(bot: shipped)
    _ = runner.run(transcript, coverage: &coverage)
  } catch {
    for d in error.diagnostics {
      let l = d.location
      if l.file != "fuzz.convo" || l.line < 1 || l.line > lines + 1 || l.column < 1 {
        fuzzFailure("diagnostic at an impossible place: \(d.description)")
      }
    }
  }
  return 0
}
