import Foundation
import Synchronization

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
    /// Threads that run dialogue turns for ``ProtocolServer/begin(_:now:today:into:)``; each
    /// beyond the first builds an ``Engine`` of its own the first time it is needed. Replies
    /// are the same whatever the number.
    public var workers = 1

    public init() {}
  }

  public static let defaultSession = "default"

  public let engine: Engine
  public let options: Options
  /// `engine` and one more per extra worker, built when first needed.
  private let engines: WorkerEngines
  /// The threads that run a batch's turns (see ``begin(_:now:today:into:)``).
  private let threads: WorkerThreads
  public private(set) var sessions: SessionTable
  private let decoder: RequestDecoder
  /// Lines answered so far, errors included.
  public private(set) var linesServed = 0
  /// Batches whose turns ran on several workers (see ``begin(_:now:today:into:)``).
  public private(set) var parallelBatches = 0
  /// Where sessions are written through to (`serve --sessions`); nil keeps them in memory.
  public private(set) var journal: SessionJournal?
  /// The batch whose turns the workers are running (see ``begin(_:now:today:into:)``).
  private var running: RunningBatch?

  public init(engine: Engine, options: Options = Options()) {
    self.engine = engine
    self.engines = WorkerEngines(engine, workers: options.workers)
    self.threads = WorkerThreads(count: options.workers)
    self.options = options
    self.sessions = SessionTable(capacity: options.maxSessions, idleSeconds: options.idleSeconds)
    self.decoder = RequestDecoder(
      maxDepth: options.maxDepth, maxSessionBytes: options.maxSessionBytes)
  }

  /// A batch left running (its replies never asked for) is waited for, so the worker threads
  /// drop their job and stop with the pool.
  deinit { running?.wait() }

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
    finish(into: &out)
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
    finish(into: &out)
    linesServed += 1
    writeError(tooLong(prefix: prefix, length: length), into: &out)
  }

  private func tooLong(prefix: UnsafeBufferPointer<UInt8>, length: Int?) -> RequestFailure {
    let (id, session) = decoder.salvage(prefix)
    let size = length.map { " (\($0) bytes)" } ?? ""
    let error = ProtocolError(
      .lineTooLong, "the line is longer than \(options.maxLineBytes) bytes\(size); it was skipped")
    return RequestFailure(error, id: id, session: session)
  }

  // MARK: Batches

  /// Lines decoded by ``enqueue(line:into:)``, waiting for ``begin(_:now:today:into:)`` (or
  /// ``answer(_:now:today:into:)``).
  public struct Batch {
    enum Item {
      case failure(RequestFailure)
      case request(Request)
    }
    var items: [Item] = []
    var requests = 0

    public init() {}

    /// Lines waiting for their replies.
    public var count: Int { items.count }
  }

  /// Decodes one line (without its newline) into `batch`; the next `answer` replies to it.
  /// Decoding never depends on sessions, so a line can be decoded before earlier ones are
  /// answered.
  public func enqueue(line: UnsafeBufferPointer<UInt8>, into batch: inout Batch) {
    if line.count > options.maxLineBytes {
      enqueueTooLong(
        prefix: UnsafeBufferPointer(rebasing: line[0..<options.maxLineBytes]),
        length: line.count, into: &batch)
      return
    }
    switch decoder.decode(line) {
    case .failure(let f):
      batch.items.append(.failure(f))
    case .success(let r):
      batch.items.append(.request(r))
      batch.requests += 1
    }
  }

  /// Adds a line longer than the limit to `batch` (see ``handleTooLong(prefix:length:into:)``).
  public func enqueueTooLong(
    prefix: UnsafeBufferPointer<UInt8>, length: Int?, into batch: inout Batch
  ) {
    batch.items.append(.failure(tooLong(prefix: prefix, length: length)))
  }

  /// Answers every line in `batch`, in order, exactly as one `handle` call per line would,
  /// and empties it: ``begin(_:now:today:into:)`` then ``finish(into:)``.
  public func answer(
    _ batch: inout Batch, now: Double, today: CivilDate, into out: inout [UInt8]
  ) {
    begin(&batch, now: now, today: today, into: &out)
    finish(into: &out)
  }

  /// Starts answering every line in `batch`, and empties it. The replies come out in input
  /// order, exactly as one `handle` call per line would write them, but those of `batch` may
  /// be left running on the workers: they are appended to `out` by the next `begin` (before
  /// its own) or by ``finish(into:)``. So a caller can read and decode the next lines, and
  /// write earlier replies, while the workers run this batch's turns.
  ///
  /// With more than one worker, the turns of a batch with several sessions run on that many
  /// threads: the requests are grouped by session, each group goes to one worker (which reads
  /// the session from the table, expired as the first request would expire it, and carries
  /// its state from one request to the next, in order). Once the workers are done, the table
  /// is updated in input order (by the next `begin` or `finish`). That is only done when
  /// nothing inside the batch could drop a session (the table has room for every session of
  /// the batch), so the session each request sees is the one a line-by-line run would give
  /// it; otherwise the batch is answered line by line.
  public func begin(
    _ batch: inout Batch, now: Double, today: CivilDate, into out: inout [UInt8]
  ) {
    defer {
      batch.items.removeAll(keepingCapacity: true)
      batch.requests = 0
    }
    let previous = running
    running = nil
    if let previous {
      previous.wait()
      store(previous)
    }
    if let plan = plan(batch) {
      running = RunningBatch(
        plan, now: now, table: sessions, engines: engines, threads: threads, today: today)
      parallelBatches += 1
      if let previous { writeReplies(previous, into: &out) }
      return
    }
    if let previous { writeReplies(previous, into: &out) }
    for item in batch.items {
      linesServed += 1
      switch item {
      case .failure(let f): writeError(f, into: &out)
      case .request(let r): serve(r, now: now, today: today, into: &out)
      }
    }
  }

  /// Waits for the batch ``begin(_:now:today:into:)`` left running, if any, stores its
  /// sessions and appends its replies to `out`.
  public func finish(into out: inout [UInt8]) {
    guard let r = running else { return }
    running = nil
    r.wait()
    store(r)
    writeReplies(r, into: &out)
  }

  /// Whether a batch is running (its replies not yet written).
  public var isRunning: Bool { running != nil }

  /// Fewest requests in a batch worth handing to other threads.
  static let parallelThreshold = 8

  /// A batch's requests grouped by session.
  struct Plan {
    var items: [Batch.Item]
    /// Sessions in order of first appearance.
    var keys: [String]
    /// Each item's session number (-1 for a failure).
    var groupOfItem: [Int]
    var workers: Int
  }

  /// Groups `batch` by session for the workers, or nil when the batch must be answered line
  /// by line (one worker, few requests, one session, or a table that could fill up).
  private func plan(_ batch: Batch) -> Plan? {
    guard options.workers > 1, batch.requests >= Self.parallelThreshold else { return nil }
    var groupOf: [String: Int] = [:]
    groupOf.reserveCapacity(batch.requests)
    var keys: [String] = []
    var groupOfItem = [Int](repeating: -1, count: batch.items.count)
    for (n, item) in batch.items.enumerated() {
      guard case .request(let r) = item else { continue }
      let key = r.session ?? Self.defaultSession
      if let g = groupOf[key] {
        groupOfItem[n] = g
      } else {
        groupOf[key] = keys.count
        groupOfItem[n] = keys.count
        keys.append(key)
      }
    }
    guard keys.count >= 2 else { return nil }
    // None can be evicted if there is room for every session of the batch; near capacity,
    // count those the table really lacks.
    if sessions.count + keys.count > sessions.capacity {
      let fresh = keys.count { sessions.peek($0) == nil }
      guard sessions.count + fresh <= sessions.capacity else { return nil }
    }
    return Plan(
      items: batch.items, keys: keys, groupOfItem: groupOfItem,
      workers: min(options.workers, keys.count))
  }

  /// Updates the table (and the journal) with a finished batch's sessions, in input order.
  private func store(_ batch: RunningBatch) {
    let plan = batch.plan
    for (n, item) in plan.items.enumerated() {
      guard case .request = item else { continue }
      let key = plan.keys[plan.groupOfItem[n]]
      let turn = batch.turns[n]
      sessions.update(key, now: batch.now) { state, keep in
        state = turn.state
        keep = turn.keep
      }
      recordInJournal(key)
    }
  }

  /// Appends a finished batch's replies and errors, in input order.
  private func writeReplies(_ batch: RunningBatch, into out: inout [UInt8]) {
    for (n, item) in batch.plan.items.enumerated() {
      linesServed += 1
      switch item {
      case .failure(let f):
        writeError(f, into: &out)
      case .request:
        let turn = batch.turns[n]
        batch.replies[turn.worker].withUnsafeBufferPointer {
          out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[turn.reply]))
        }
      }
    }
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
      // The trace's readable parts are only built when the reply carries them.
      let result = engine.step(state, Turn(r.input, today: today), trace: r.explain)
      state = result.state
      keep = Self.keeps(result, after: r.input)
      return result
    }
    recordInJournal(key)
    ReplyEncoder.reply(
      id: r.id, session: key, result: result, explain: r.explain, into: &out)
  }

  /// Whether a session is kept after a turn: an ended conversation starts afresh on its next
  /// message, so there is nothing worth keeping.
  static func keeps(_ result: StepResult, after input: Turn.Input) -> Bool {
    !result.state.ended && input != .end
  }

  /// Tells the journal (if any) what the last `update` of `key` changed.
  private func recordInJournal(_ key: String) {
    guard let journal else { return }
    for dropped in sessions.takeDropped() { journal.dropped(dropped) }
    journal.touched(key, kept: sessions.peek(key) != nil)
  }

  private func writeError(_ f: RequestFailure, into out: inout [UInt8]) {
    ReplyEncoder.error(f, into: &out)
  }
}

/// The turns of one batch, running on several threads (see
/// ``ProtocolServer/begin(_:now:today:into:)``).
///
/// Workers take whole sessions, one at a time, from a shared counter (so a worker that gets
/// less CPU time simply takes fewer) and run each session's requests in input order with
/// their own engine; which worker ran a session never changes the results. A worker writes
/// only its sessions' requests' slots and its own reply buffer; all are read after ``wait()``.
private final class RunningBatch: @unchecked Sendable {
  struct Turned {
    var state = SessionState()
    var keep = false
    var worker = 0
    var reply: Range<Int> = 0..<0
  }

  let plan: ProtocolServer.Plan
  let now: Double
  /// The session table as the batch starts (nil once the workers are done with it, so the
  /// server's own stays uniquely referenced).
  private var table: SessionTable?
  let engines: WorkerEngines
  let today: CivilDate
  /// Session `g`'s items are `members[memberStart[g] ..< memberStart[g + 1]]`, in order.
  let memberStart: [Int]
  let members: [Int]
  /// The next session to take.
  let next = Atomic<Int>(0)
  /// Per item (requests only): the state to store, whether to keep it, and the reply.
  let turns: UnsafeMutableBufferPointer<Turned>
  /// Each worker's replies, back to back.
  let replies: UnsafeMutableBufferPointer<[UInt8]>
  private let threads: WorkerThreads

  /// Starts the workers on `threads`, which must have no job outstanding.
  init(
    _ plan: ProtocolServer.Plan, now: Double, table: SessionTable, engines: WorkerEngines,
    threads: WorkerThreads, today: CivilDate
  ) {
    self.threads = threads
    self.now = now
    self.table = table
    self.plan = plan
    self.engines = engines
    self.today = today
    let sessions = plan.keys.count
    var start = [Int](repeating: 0, count: sessions + 1)
    for g in plan.groupOfItem where g >= 0 { start[g + 1] += 1 }
    for g in 0..<sessions { start[g + 1] += start[g] }
    var fill = start
    var members = [Int](repeating: 0, count: start[sessions])
    for (n, g) in plan.groupOfItem.enumerated() where g >= 0 {
      members[fill[g]] = n
      fill[g] += 1
    }
    self.memberStart = start
    self.members = members
    self.turns = .allocate(capacity: plan.items.count)
    self.turns.initialize(repeating: Turned())
    self.replies = .allocate(capacity: plan.workers)
    self.replies.initialize(repeating: [])
    threads.start(threads: plan.workers) { w in self.run(worker: w) }
  }

  deinit {
    turns.deinitialize().deallocate()
    replies.deinitialize().deallocate()
  }

  /// Waits until every worker is done.
  func wait() {
    threads.wait()
    table = nil
  }

  private func run(worker w: Int) {
    let engine = engines.engine(for: w)
    guard let table else { return }
    var out: [UInt8] = []
    while true {
      let g = next.wrappingAdd(1, ordering: .relaxed).oldValue
      guard g < plan.keys.count else { break }
      var state = table.peek(plan.keys[g], at: now) ?? SessionState()
      for n in members[memberStart[g]..<memberStart[g + 1]] {
        guard case .request(let r) = plan.items[n] else { continue }
        let result = engine.step(state, Turn(r.input, today: today), trace: r.explain)
        let keep = ProtocolServer.keeps(result, after: r.input)
        state = keep ? result.state : SessionState()
        let start = out.count
        ReplyEncoder.reply(
          id: r.id, session: plan.keys[g], result: result, explain: r.explain, into: &out)
        turns[n] = Turned(state: result.state, keep: keep, worker: w, reply: start..<out.count)
      }
    }
    replies[w] = out
  }
}

/// One engine per worker: the server's own for worker 0; the others are built by the worker
/// that first needs one, on its own thread, while the other workers start on their turns.
final class WorkerEngines: @unchecked Sendable {
  private let first: Engine
  /// Slot `w` is only touched by worker `w`, and workers of one batch finish before the next.
  private let slots: UnsafeMutableBufferPointer<Engine?>

  init(_ first: Engine, workers: Int) {
    self.first = first
    slots = .allocate(capacity: max(1, workers))
    slots.initialize(repeating: nil)
  }

  deinit { slots.deinitialize().deallocate() }

  func engine(for worker: Int) -> Engine {
    if worker == 0 { return first }
    if let e = slots[worker] { return e }
    let e = first.copy()
    slots[worker] = e
    return e
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
    w.raw("{\"id\":")
    if let id { w.raw(id) } else { w.null() }
    w.raw(",\"session\":")
    w.string(session)
    w.raw(",\"intent\":")
    w.optionalString(result.intent)
    w.raw(",\"entities\":")
    w.stringMap(result.entities)
    w.raw(",\"flow\":")
    w.optionalString(result.state.flow)
    w.raw(",\"state\":")
    w.optionalString(result.state.flow == nil ? nil : result.state.state)
    w.raw(",\"slots\":")
    slots(result.state.slots, &w)
    w.raw(",\"replies\":")
    w.stringArray(result.replies)
    w.raw(",\"actions\":[")
    for (n, a) in result.actions.enumerated() {
      if n > 0 { w.raw(",") }
      action(a, &w)
    }
    w.raw("],\"ended\":")
    w.bool(result.state.ended)
    if explain {
      w.raw(",\"explain\":")
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
    w.raw("{\"id\":")
    if let id = f.id { w.raw(id) } else { w.null() }
    w.raw(",\"session\":")
    w.optionalString(f.session)
    w.raw(",\"error\":{\"code\":")
    w.string(f.error.code.rawValue)
    w.raw(",\"message\":")
    w.string(f.error.message)
    w.raw("}}\n")
  }

  static func slots(_ m: [String: SlotValue], _ w: inout JSONWriter) {
    if m.isEmpty {
      w.raw("{}")
      return
    }
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
    w.raw("{\"type\":")
    w.string(a.type.rawValue)
    w.raw(",\"reason\":")
    w.string(a.reason)
    w.raw(",\"topic\":")
    w.optionalString(a.topic)
    w.raw(",\"flow\":")
    w.optionalString(a.flow)
    w.raw(",\"state\":")
    w.optionalString(a.state)
    w.raw(",\"slots\":")
    w.stringMap(a.slots)
    w.raw("}")
  }
}
