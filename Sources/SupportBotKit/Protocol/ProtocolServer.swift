import Foundation

/// The JSON-lines protocol without I/O: one request line in, one reply line out, appended to
/// a byte buffer. Owns the session table and an `Engine`, so use one per thread.
public final class ProtocolServer {
  public struct Options: Sendable {
    /// Longest request line, in bytes, without its newline.
    public var maxLineBytes = 64 * 1024
    /// Deepest nesting of arrays and objects in a request (the request object is level 1).
    /// The decoder recurses once per level, so keep it modest (`serve` allows up to 1000).
    public var maxDepth = 32
    /// Most sessions kept at once; beyond it the least recently used is dropped.
    public var maxSessions = 100_000
    /// Sessions idle longer than this many seconds are dropped.
    public var idleSeconds: Double = 30 * 60
    /// Longest session key, in UTF-8 bytes.
    public var maxSessionBytes = 256

    public init() {}
  }

  public static let defaultSession = "default"

  public let engine: Engine
  public let options: Options
  public private(set) var sessions: SessionTable
  private let decoder: RequestDecoder
  /// Lines answered so far, errors included.
  public private(set) var linesServed = 0
  /// Where sessions are written through to (`serve --sessions`); nil keeps them in memory.
  public private(set) var journal: SessionJournal?

  public init(engine: Engine, options: Options = Options()) {
    self.engine = engine
    self.options = options
    self.sessions = SessionTable(capacity: options.maxSessions, idleSeconds: options.idleSeconds)
    self.decoder = RequestDecoder(
      maxDepth: options.maxDepth, maxSessionBytes: options.maxSessionBytes)
  }

  /// Resumes the journal's stored sessions (those not idle too long) and writes every later
  /// change through it. `now` is the monotonic clock, as for `handle`.
  public func attach(_ journal: SessionJournal, now: Double) throws(SessionStoreError) {
    sessions.recordsDrops = true
    for (stored, idle) in try journal.restore(idleSeconds: options.idleSeconds) {
      sessions.update(stored.id, now: now - idle) { state, _ in state = stored.state }
    }
    for key in sessions.takeDropped() { journal.dropped(key) }  // beyond --max-sessions
    self.journal = journal
    try persistSessions()
  }

  /// Commits the session changes of the lines answered since the last call. The serve loop
  /// calls it before writing their replies, so no reply is seen before its state is stored.
  public func persistSessions() throws(SessionStoreError) {
    guard let journal, journal.hasPending else { return }
    try journal.commit { sessions.peek($0) }
  }

  /// Answers one line (without its newline), appending exactly one JSON object and `\n`.
  /// `now` is a monotonic clock in seconds (for idle expiry); `today` dates the turn.
  public func handle(
    line: UnsafeBufferPointer<UInt8>, now: Double, today: CivilDate, into out: inout [UInt8]
  ) {
    linesServed += 1
    if line.count > options.maxLineBytes {
      // Callers normally send only a prefix (see `handleTooLong`); be safe anyway.
      handleTooLong(
        prefix: UnsafeBufferPointer(rebasing: line[0..<options.maxLineBytes]),
        length: line.count, into: &out)
      linesServed -= 1
      return
    }
    switch decoder.decode(line) {
    case .failure(let f):
      writeError(f, into: &out)
    case .success(let request):
      serve(request, now: now, today: today, into: &out)
    }
  }

  /// Answers a line longer than the limit, of which only the first bytes were kept.
  /// `length` is the line's full length when known (nil if the input ended first).
  public func handleTooLong(
    prefix: UnsafeBufferPointer<UInt8>, length: Int?, into out: inout [UInt8]
  ) {
    linesServed += 1
    let (id, session) = decoder.salvage(prefix)
    let size = length.map { " (\($0) bytes)" } ?? ""
    let error = ProtocolError(
      .lineTooLong, "the line is longer than \(options.maxLineBytes) bytes\(size); it was skipped")
    writeError(RequestFailure(error, id: id, session: session), into: &out)
  }

  /// Convenience for tests: one line in, one reply line out (without the newline).
  public func handle(_ line: String, now: Double = 0, today: CivilDate) -> String {
    var out: [UInt8] = []
    var bytes = Array(line.utf8)
    bytes.withUnsafeMutableBufferPointer { b in
      handle(line: UnsafeBufferPointer(b), now: now, today: today, into: &out)
    }
    if out.last == 0x0A { out.removeLast() }
    return String(decoding: out, as: UTF8.self)
  }

  private func serve(_ r: Request, now: Double, today: CivilDate, into out: inout [UInt8]) {
    let key = r.session ?? Self.defaultSession
    let result: StepResult = sessions.update(key, now: now) { state, keep in
      let result = engine.step(state, Turn(r.input, today: today))
      state = result.state
      // An ended conversation starts afresh on its next message: nothing worth keeping.
      keep = !result.state.ended && r.input != .end
      return result
    }
    if let journal {
      for dropped in sessions.takeDropped() { journal.dropped(dropped) }
      journal.touched(key, kept: sessions.peek(key) != nil)
    }
    ReplyEncoder.reply(
      id: r.id, session: key, result: result, explain: r.explain, into: &out)
  }

  private func writeError(_ f: RequestFailure, into out: inout [UInt8]) {
    ReplyEncoder.error(f, into: &out)
  }
}

/// Writes protocol replies as compact JSON lines.
public enum ReplyEncoder {
  /// `{"id":…,"session":…,"intent":…,"entities":{…},"flow":…,"state":…,"slots":{…},
  /// "replies":[…],"actions":[…],"ended":…}` and, when asked, `"explain":{…}`; then `\n`.
  public static func reply(
    id: [UInt8]?, session: String, result: StepResult, explain: Bool, into out: inout [UInt8]
  ) {
    var w = JSONWriter(capacity: 0)
    swap(&w.bytes, &out)
    defer { swap(&w.bytes, &out) }
    w.raw("{")
    w.key("id")
    if let id { w.raw(id) } else { w.null() }
    w.nextKey("session")
    w.string(session)
    w.nextKey("intent")
    w.optionalString(result.intent)
    w.nextKey("entities")
    w.stringMap(result.entities)
    w.nextKey("flow")
    w.optionalString(result.state.flow)
    w.nextKey("state")
    w.optionalString(result.state.flow == nil ? nil : result.state.state)
    w.nextKey("slots")
    slots(result.state.slots, &w)
    w.nextKey("replies")
    w.stringArray(result.replies)
    w.nextKey("actions")
    w.raw("[")
    for (n, a) in result.actions.enumerated() {
      if n > 0 { w.raw(",") }
      action(a, &w)
    }
    w.raw("]")
    w.nextKey("ended")
    w.bool(result.state.ended)
    if explain {
      w.nextKey("explain")
      w.any(ExplainFormatter.object(result.trace))
    }
    w.raw("}\n")
  }

  /// `{"id":…,"session":…,"error":{"code":…,"message":…}}` and `\n`; `id` and `session` are
  /// null when they could not be read.
  public static func error(_ f: RequestFailure, into out: inout [UInt8]) {
    var w = JSONWriter(capacity: 0)
    swap(&w.bytes, &out)
    defer { swap(&w.bytes, &out) }
    w.raw("{")
    w.key("id")
    if let id = f.id { w.raw(id) } else { w.null() }
    w.nextKey("session")
    w.optionalString(f.session)
    w.nextKey("error")
    w.raw("{")
    w.key("code")
    w.string(f.error.code.rawValue)
    w.nextKey("message")
    w.string(f.error.message)
    w.raw("}}\n")
  }

  static func slots(_ m: [String: SlotValue], _ w: inout JSONWriter) {
    w.raw("{")
    for (n, k) in m.keys.sorted().enumerated() {
      if n > 0 { w.raw(",") }
      w.string(k)
      w.raw(":")
      switch m[k] {
      case .number(let v): w.int(v)
      case .string(let s): w.string(s)
      case nil: w.null()
      }
    }
    w.raw("}")
  }

  static func action(_ a: Action, _ w: inout JSONWriter) {
    w.raw("{")
    w.key("type")
    w.string(a.type.rawValue)
    w.nextKey("reason")
    w.string(a.reason)
    w.nextKey("topic")
    w.optionalString(a.topic)
    w.nextKey("flow")
    w.optionalString(a.flow)
    w.nextKey("state")
    w.optionalString(a.state)
    w.nextKey("slots")
    w.stringMap(a.slots)
    w.raw("}")
  }
}
