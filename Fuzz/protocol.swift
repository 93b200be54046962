// Fuzz target `protocol`: bytes as a stream of request lines through the line framer, the
// request decoder, the engine (shipped bot) and the reply encoder.
// Invariants: exactly one reply line per input line, each a JSON object with `id` and
// `session`, whatever the chunking; with a session store attached, what is stored after a
// commit is exactly the server's live sessions; batches answered on two workers, pipelined
// as `serve` does (`begin` per chunk, `finish` at the end), give byte for byte the replies and
// the sessions of line-by-line answers.
import Foundation
import SupportBotKit

nonisolated(unsafe) private var server: ProtocolServer?
nonisolated(unsafe) private var serverSmallLimits: ProtocolServer?
nonisolated(unsafe) private var serverWithStore: ProtocolServer?
nonisolated(unsafe) private var store = MemorySessionStore()
/// Engines for fresh servers: one answering line by line, one for pipelined batches.
nonisolated(unsafe) private var lineEngine: Engine?
nonisolated(unsafe) private var batchEngine: Engine?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtocol(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  if server == nil {
    let engine = Engine(bot: loadShippedBot())
    server = ProtocolServer(engine: engine)
    var small = ProtocolServer.Options()
    small.maxLineBytes = 96
    small.maxDepth = 4
    small.maxSessions = 3
    small.maxSessionBytes = 8
    serverSmallLimits = ProtocolServer(engine: engine, options: small)
    let durable = ProtocolServer(engine: engine, options: small)
    do {
      try durable.attach(SessionJournal(store: store), now: 0)
    } catch {
      fuzzSetupFailure("cannot attach a memory store: \(error)")
    }
    serverWithStore = durable
    lineEngine = Engine(bot: loadShippedBot())
    batchEngine = Engine(bot: loadShippedBot())
  }
  guard let server, let serverSmallLimits, let serverWithStore else { return 0 }
  let bytes = fuzzBytes(data, size)
  let expected = expectedLines(bytes)
  let today = CivilDate(year: 2026, month: 11, day: 29)

  // Whole input as one chunk, then in chunks of a size taken from the input.
  let whole = run(server, bytes, chunk: max(1, bytes.count), today: today)
  check(whole, expected, bytes)
  let chunk = 1 + Int(bytes.first ?? 0) % 17
  let pieces = run(server, bytes, chunk: chunk, today: today)
  if pieces != whole {
    // Sessions carry over between the runs, so only the shape must agree.
    check(pieces, expected, bytes)
  }
  check(run(serverSmallLimits, bytes, chunk: chunk, today: today), expected, bytes)

  check(run(serverWithStore, bytes, chunk: chunk, today: today), expected, bytes)
  do {
    try serverWithStore.persistSessions()
  } catch {
    fuzzFailure("a memory store failed: \(error)")
  }
  if let lineEngine, let batchEngine {
    // Small sessions limits make evictions (and so line-by-line fallbacks) likely too.
    var options = ProtocolServer.Options()
    options.maxSessions = 1 + Int(bytes.last ?? 0) % 12
    let reference = ProtocolServer(engine: lineEngine, options: options)
    let lineByLine = run(reference, bytes, chunk: chunk, today: today)
    options.workers = 2
    let pipelined = ProtocolServer(engine: batchEngine, options: options)
    // Batches of a few hundred bytes: enough lines for the workers (8 requests or more).
    let batched = runInBatches(pipelined, bytes, chunk: 200 + chunk * 40, today: today)
    if batched != lineByLine {
      fuzzFailure("pipelined batches answered differently from line by line")
    }
    let a = reference.sessions
    let b = pipelined.sessions
    if a.keys != b.keys || a.keys.contains(where: { a.peek($0) != b.peek($0) }) {
      fuzzFailure("pipelined batches left other sessions than line by line")
    }
  }
  let stored = store.loadAll()
  let live = serverWithStore.sessions
  if Set(stored.map(\.id)) != Set(live.keys) {
    fuzzFailure("stored sessions \(stored.map(\.id)) but live \(live.keys)")
  }
  for s in stored where live.peek(s.id) != s.state {
    fuzzFailure("session \(s.id.debugDescription) stored in another state than it lives in")
  }
  return 0
}

/// Lines a stream holds: one per newline, plus a last one without a newline.
private func expectedLines(_ bytes: [UInt8]) -> Int {
  let newlines = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
  return newlines + ((bytes.last.map { $0 != 0x0A } ?? false) ? 1 : 0)
}

/// Answers `bytes` one line at a time (`handle`), fed to the framer `chunk` bytes at a time.
private func run(_ server: ProtocolServer, _ bytes: [UInt8], chunk: Int, today: CivilDate)
  -> [UInt8]
{
  var out: [UInt8] = []
  frame(bytes, chunk: chunk, maxLineBytes: server.options.maxLineBytes) { line in
    switch line {
    case .line(let b): server.handle(line: b, now: 0, today: today, into: &out)
    case .tooLong(let prefix, let length):
      server.handleTooLong(prefix: prefix, length: length, into: &out)
    }
  }
  return out
}

/// Like `run`, but each chunk's lines are one batch, started with `begin` while the previous
/// one may still be running, as `serve` does.
private func runInBatches(
  _ server: ProtocolServer, _ bytes: [UInt8], chunk: Int, today: CivilDate
) -> [UInt8] {
  var out: [UInt8] = []
  var batch = ProtocolServer.Batch()
  frame(bytes, chunk: chunk, maxLineBytes: server.options.maxLineBytes) { line in
    switch line {
    case .line(let b): server.enqueue(line: b, into: &batch)
    case .tooLong(let prefix, let length):
      server.enqueueTooLong(prefix: prefix, length: length, into: &batch)
    }
  } chunkDone: {
    server.begin(&batch, now: 0, today: today, into: &out)
  }
  server.answer(&batch, now: 0, today: today, into: &out)
  return out
}

/// Feeds `bytes` to a line framer `chunk` bytes at a time, calling `line` for each line and
/// `chunkDone` after each chunk; the last line may lack its newline.
private func frame(
  _ bytes: [UInt8], chunk: Int, maxLineBytes: Int, _ line: (LineFramer.Line) -> Void,
  chunkDone: () -> Void = {}
) {
  var framer = LineFramer(maxLineBytes: maxLineBytes)
  bytes.withUnsafeBufferPointer { all in
    var i = 0
    while i < all.count {
      let n = min(chunk, all.count - i)
      framer.feed(UnsafeBufferPointer(rebasing: all[i..<(i + n)]), line)
      chunkDone()
      i += n
    }
  }
  framer.finish(line)
}

private func check(_ out: [UInt8], _ expected: Int, _ input: [UInt8]) {
  let lines = out.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
  if lines.count != expected || out.last.map({ $0 != 0x0A }) ?? (expected != 0) {
    fuzzFailure("\(expected) input line(s) but \(lines.count) reply line(s)")
  }
  for line in lines {
    guard
      let object = try? JSONSerialization.jsonObject(with: Data(line), options: [])
        as? [String: Any]
    else {
      fuzzFailure("a reply is not a JSON object: \(String(decoding: line, as: UTF8.self))")
    }
    if object["id"] == nil || object["session"] == nil {
      fuzzFailure("a reply lacks id or session: \(String(decoding: line, as: UTF8.self))")
    }
  }
}
