/// The conversations a server keeps, by session key, with bounded memory: sessions idle
/// longer than `idleSeconds` expire, and beyond `capacity` the least recently used one is
/// dropped. All operations are O(1) (amortised); time comes in as a parameter (no clock here).
public struct SessionTable {
  public let capacity: Int
  public let idleSeconds: Double

  private struct Node {
    var key: String
    var state: SessionState
    var lastUsed: Double
    var newer: Int32  // towards the head (most recent), -1 at the head
    var older: Int32  // towards the tail (least recent), -1 at the tail
  }

  private var index: [String: Int32] = [:]
  private var nodes: [Node] = []
  private var free: [Int32] = []
  private var head: Int32 = -1
  private var tail: Int32 = -1
  /// Sessions dropped so far because they were idle too long.
  public private(set) var expired = 0
  /// Sessions dropped so far because the table was full.
  public private(set) var evicted = 0
  /// When true, keys dropped by expiry or eviction are kept for ``takeDropped()`` (so a
  /// session store can delete them too).
  public var recordsDrops = false
  private var dropped: [String] = []

  public init(capacity: Int, idleSeconds: Double) {
    self.capacity = max(1, capacity)
    self.idleSeconds = idleSeconds
  }

  public var count: Int { index.count }

  /// Session keys from most to least recently used.
  public var keys: [String] {
    var out: [String] = []
    var n = head
    while n >= 0 {
      out.append(nodes[Int(n)].key)
      n = nodes[Int(n)].older
    }
    return out
  }

  /// The stored state of `key`, or nil; does not count as a use.
  public func peek(_ key: String) -> SessionState? {
    index[key].map { nodes[Int($0)].state }
  }

  /// The stored state of `key` for a request at `now`: nil if unknown or idle for longer than
  /// `idleSeconds` (what ``update(_:now:_:)`` would expire first). Does not count as a use.
  public func peek(_ key: String, at now: Double) -> SessionState? {
    guard let slot = index[key] else { return nil }
    let i = Int(slot)
    return now - nodes[i].lastUsed > idleSeconds ? nil : nodes[i].state
  }

  /// Drops every session idle for longer than `idleSeconds` at `now`.
  public mutating func expire(now: Double) {
    while tail >= 0 && now - nodes[Int(tail)].lastUsed > idleSeconds {
      let t = tail
      index[nodes[Int(t)].key] = nil
      if recordsDrops { dropped.append(nodes[Int(t)].key) }
      unlink(t)
      release(t)
      expired += 1
    }
  }

  /// Runs `body` on the state of `key` (a fresh `SessionState` if unknown or expired), stores
  /// what it leaves, and marks the session used at `now`. When `body` sets `keep` to false the
  /// session is forgotten instead.
  public mutating func update<R>(
    _ key: String, now: Double, _ body: (inout SessionState, inout Bool) -> R
  ) -> R {
    expire(now: now)
    var keep = true
    if let slot = index[key] {
      let i = Int(slot)
      var state = nodes[i].state
      nodes[i].state = SessionState()  // keep `state` uniquely referenced while `body` runs
      let r = body(&state, &keep)
      if keep {
        nodes[i].state = state
        nodes[i].lastUsed = now
        unlink(slot)
        pushFront(slot)
      } else {
        index[key] = nil
        unlink(slot)
        release(slot)
      }
      return r
    }
    var state = SessionState()
    let r = body(&state, &keep)
    guard keep else { return r }
    if index.count >= capacity, tail >= 0 {
      let t = tail
      index[nodes[Int(t)].key] = nil
      if recordsDrops { dropped.append(nodes[Int(t)].key) }
      unlink(t)
      release(t)
      evicted += 1
    }
    let node = Node(key: key, state: state, lastUsed: now, newer: -1, older: -1)
    let slot: Int32
    if let f = free.popLast() {
      slot = f
      nodes[Int(f)] = node
    } else {
      slot = Int32(nodes.count)
      nodes.append(node)
    }
    index[key] = slot
    pushFront(slot)
    return r
  }

  /// The keys expired or evicted since the last call (only while `recordsDrops`).
  public mutating func takeDropped() -> [String] {
    defer { dropped.removeAll(keepingCapacity: true) }
    return dropped
  }

  /// Forgets `key`.
  public mutating func remove(_ key: String) {
    guard let slot = index.removeValue(forKey: key) else { return }
    unlink(slot)
    release(slot)
  }

  private mutating func release(_ slot: Int32) {
    nodes[Int(slot)].key = ""
    nodes[Int(slot)].state = SessionState()
    free.append(slot)
  }

  private mutating func unlink(_ slot: Int32) {
    let newer = nodes[Int(slot)].newer
    let older = nodes[Int(slot)].older
    if newer >= 0 { nodes[Int(newer)].older = older } else { head = older }
    if older >= 0 { nodes[Int(older)].newer = newer } else { tail = newer }
    nodes[Int(slot)].newer = -1
    nodes[Int(slot)].older = -1
  }

  private mutating func pushFront(_ slot: Int32) {
    nodes[Int(slot)].older = head
    nodes[Int(slot)].newer = -1
    if head >= 0 { nodes[Int(head)].newer = slot }
    head = slot
    if tail < 0 { tail = slot }
  }
}
