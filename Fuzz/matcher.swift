// Fuzz target `matcher`: any text through the redactor, normaliser, matcher and dialogue
// engine of the shipped bot, idle and inside every flow's first question.
// Invariants: classification is deterministic; spans lie inside the normalised text; the
// normaliser without substitutions is idempotent; the prefiltered matcher ranks exactly as the
// naive loop does; the winner-only ranking picks the same winner with the same hits.
import Foundation
import SupportBotKit

nonisolated(unsafe) private var engine: Engine?
nonisolated(unsafe) private var naive: Matcher?
nonisolated(unsafe) private var starts: [SessionState] = []

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMatcher(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  if engine == nil {
    let bot = loadShippedBot()
    engine = Engine(bot: bot)
    naive = Matcher(bot: bot, prefilter: false)
    starts =
      [SessionState()]
      + bot.flows.map { SessionState(flow: $0.id, state: $0.start) }
  }
  guard let engine else { return 0 }
  let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
  // Without substitutions (which may chain), normalising is idempotent.
  let plain = Normalizer()
  let once = plain.normalize(text)
  let twice = plain.normalize(once)
  if once != twice {
    fuzzFailure("normalising twice changed \(once.debugDescription) to \(twice.debugDescription)")
  }
  let a = engine.matcher.classify(text)
  let b = engine.matcher.classify(text)
  if a.intent != b.intent || a.candidates.map(\.intent) != b.candidates.map(\.intent) {
    fuzzFailure("two classifications of one text differ")
  }
  if let naive {
    let n = naive.classify(text)
    if a.intent != n.intent || a.candidates.map(\.intent) != n.candidates.map(\.intent)
      || a.winner?.hits != n.winner?.hits || a.entities != n.entities
    {
      fuzzFailure("prefilter and naive loop differ on \(text.debugDescription)")
    }
  }
  let w = engine.matcher.classify(text, ranking: .winner)
  if w.intent != a.intent || w.winner?.hits != a.winner?.hits || w.entities != a.entities {
    fuzzFailure("winner-only ranking differs on \(text.debugDescription)")
  }
  let length = a.normalized.utf8.count
  for c in a.candidates {
    for hit in c.hits where hit.span.lowerBound < 0 || hit.span.upperBound > length {
      fuzzFailure("span \(hit.span) outside \(length) bytes")
    }
  }
  let today = CivilDate(year: 2026, month: 11, day: 29)
  let index = Int(data.pointee) % starts.count
  let result = engine.step(starts[index], .text(text, today: today))
  _ = engine.step(result.state, .text(text, today: today))
  return 0
}
