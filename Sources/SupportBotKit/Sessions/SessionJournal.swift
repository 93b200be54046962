#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a server's session changes through to a ``SessionStore``.
///
/// The server tells the journal which sessions each turn touched or dropped; before the
/// replies of those turns are written out, ``commit(state:)`` stores them all in one
/// transaction, reading each touched session's state as it is at that moment.
public final class SessionJournal {
  public let store: any SessionStore
  /// Session key → whether it is still live (stored) or gone (deleted), since the last commit.
  private var pending: [String: Bool] = [:]
  /// Wall-clock milliseconds since 1970; replaceable for tests.
  private let wallClock: () -> Int64
  /// Batches committed so far.
  public private(set) var commits = 0
  /// Session writes (stores and deletions) committed so far.
  public private(set) var writes = 0

  public init(store: any SessionStore, wallClock: @escaping () -> Int64 = SessionJournal.now) {
    self.store = store
    self.wallClock = wallClock
  }

  /// The wall clock in milliseconds since 1970 (UTC).
  public static func now() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
  }

  /// A turn ran on `key`: store its state at the next commit, or delete it if not `kept`.
  public func touched(_ key: String, kept: Bool) { pending[key] = kept }

  /// The server dropped `key` (idle too long, or least recently used beyond the limit).
  public func dropped(_ key: String) { pending[key] = false }

  /// Whether changes are waiting for ``commit(state:)``.
  public var hasPending: Bool { !pending.isEmpty }

  /// Stores every pending change in one transaction. `state` gives a session's current state
  /// (nil if it is no longer live). On failure nothing is stored and the changes stay pending.
  public func commit(state: (String) -> SessionState?) throws(SessionStoreError) {
    guard !pending.isEmpty else { return }
    let now = wallClock()
    var batch = SessionBatch()
    for (key, live) in pending {
      if live, let s = state(key) {
        batch.put(key, s, lastUsed: now)
      } else {
        batch.delete(key)
      }
    }
    try store.commit(batch)
    commits += 1
    writes += batch.count
    pending.removeAll(keepingCapacity: true)
  }

  /// The stored sessions to resume after a restart, least recently used first, with each
  /// one's idle time in seconds. Sessions idle longer than `idleSeconds` are deleted first.
  public func restore(idleSeconds: Double) throws(SessionStoreError)
    -> [(session: StoredSession, idleSeconds: Double)]
  {
    let now = wallClock()
    let cutoff = now - Int64(min(idleSeconds, 1e15 / 1000) * 1000)
    _ = try store.expire(lastUsedBefore: cutoff)
    return try store.loadAll().map { s in
      (s, max(0, Double(now - s.lastUsed) / 1000))
    }
  }
}
