/// Where conversations are kept between turns (and, for a durable store, between runs).
///
/// A driver keeps its live sessions in memory and writes every change through a store:
/// the changes of one batch of turns go into a ``SessionBatch`` and are committed together,
/// *before* any reply of that batch is written out. After a crash, reopening the store gives
/// back every session as of its last committed turn.
///
/// Stores are used from one thread at a time.
public protocol SessionStore: AnyObject {
  /// Every stored session, least recently used first (so a driver can rebuild its LRU order).
  func loadAll() throws(SessionStoreError) -> [StoredSession]

  /// One stored session, or nil.
  func load(id: String) throws(SessionStoreError) -> StoredSession?

  /// Applies a batch atomically: after a crash, either all of it or none of it is stored.
  /// Returns once the batch is as durable as the store promises (see ``SQLiteSessionStore``).
  func commit(_ batch: SessionBatch) throws(SessionStoreError)

  /// Removes every session last used before `cutoff` (milliseconds since 1970, UTC) and
  /// returns their ids.
  func expire(lastUsedBefore cutoff: Int64) throws(SessionStoreError) -> [String]

  /// How many sessions are stored.
  func count() throws(SessionStoreError) -> Int
}

/// One conversation as stored: its state and when it was last used.
public struct StoredSession: Sendable, Equatable {
  public var id: String
  public var state: SessionState
  /// Wall-clock milliseconds since 1970 (UTC) of the session's last turn.
  public var lastUsed: Int64

  public init(id: String, state: SessionState, lastUsed: Int64) {
    self.id = id
    self.state = state
    self.lastUsed = lastUsed
  }
}

/// Session changes collected while a batch of turns runs; the last change per id wins.
public struct SessionBatch: Sendable, Equatable {
  public enum Change: Sendable, Equatable {
    case put(StoredSession)
    case delete
  }

  /// Pending changes by session id.
  public private(set) var changes: [String: Change] = [:]

  public init() {}

  /// Records a session's state after a turn.
  public mutating func put(_ id: String, _ state: SessionState, lastUsed: Int64) {
    changes[id] = .put(StoredSession(id: id, state: state, lastUsed: lastUsed))
  }

  /// Records that a session was ended, reset away or expired.
  public mutating func delete(_ id: String) {
    changes[id] = .delete
  }

  public var isEmpty: Bool { changes.isEmpty }
  public var count: Int { changes.count }

  public mutating func removeAll() { changes.removeAll(keepingCapacity: true) }

  /// The changes in id order (a deterministic order for writing).
  public var ordered: [(id: String, change: Change)] {
    changes.sorted { $0.key < $1.key }.map { (id: $0.key, change: $0.value) }
  }
}

/// Why a session store could not be opened, read or written.
public struct SessionStoreError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Code: String, Sendable, Equatable {
    /// The file could not be opened or created.
    case cannotOpen = "cannot_open"
    /// Another process has the store open.
    case inUse = "in_use"
    /// The file is not a supportbot sessions store (another database, or not SQLite at all).
    case notASessionStore = "not_a_session_store"
    /// Written by a newer supportbot: this build cannot read it.
    case newerVersion = "newer_version"
    /// Written by an older format that this build cannot migrate.
    case unsupportedVersion = "unsupported_version"
    /// A stored value does not decode: the file was damaged or edited.
    case corrupt
    /// Reading or writing failed (disk full, I/O error).
    case io
  }

  public var code: Code
  /// The store's file (or a description of an in-memory store).
  public var path: String
  public var message: String

  public init(_ code: Code, path: String, _ message: String) {
    self.code = code
    self.path = path
    self.message = message
  }

  public var description: String { "sessions file \(path): \(message)" }
}

/// A store that keeps sessions in memory only: for tests, and the reference behaviour every
/// store must match.
public final class MemorySessionStore: SessionStore {
  private var sessions: [String: StoredSession] = [:]
  /// Batches committed so far.
  public private(set) var commits = 0

  public init() {}

  public func loadAll() -> [StoredSession] {
    sessions.values.sorted { ($0.lastUsed, $0.id) < ($1.lastUsed, $1.id) }
  }

  public func load(id: String) -> StoredSession? { sessions[id] }

  public func commit(_ batch: SessionBatch) {
    for (id, change) in batch.changes {
      switch change {
      case .put(let s): sessions[id] = s
      case .delete: sessions[id] = nil
      }
    }
    commits += 1
  }

  public func expire(lastUsedBefore cutoff: Int64) -> [String] {
    let old = sessions.values.filter { $0.lastUsed < cutoff }.map(\.id).sorted()
    for id in old { sessions[id] = nil }
    return old
  }

  public func count() -> Int { sessions.count }
}
