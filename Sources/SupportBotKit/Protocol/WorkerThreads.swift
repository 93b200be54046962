import Foundation

/// A fixed set of threads that run one job at a time: ``start(threads:_:)`` hands the job to
/// the first few threads (all by default) and returns at once; ``wait()`` returns when each of
/// them has run it.
///
/// `serve` hands each batch's turns to these threads and meanwhile reads the next lines, so
/// the threads must start within microseconds of the hand-off: with libdispatch's global queue
/// on Linux the second thread often started only after the first had taken every session of
/// the batch. The threads are started with the first job and stop when the pool is released.
final class WorkerThreads: Sendable {
  let count: Int
  private let shared: Shared

  /// What the threads see: one semaphore each to start a job, one for all to report it done.
  private final class Shared: @unchecked Sendable {
    let go: [DispatchSemaphore]
    let finished = DispatchSemaphore(value: 0)
    /// Written before the `go` semaphores are signalled, read by the threads after; never
    /// written while a job is outstanding.
    var job: (@Sendable (Int) -> Void)?
    var stopping = false
    var started = false
    /// Threads running the job started and not yet waited for (0 when none).
    var outstanding = 0

    init(count: Int) { go = (0..<count).map { _ in DispatchSemaphore(value: 0) } }
  }

  init(count: Int) {
    self.count = max(1, count)
    shared = Shared(count: self.count)
  }

  deinit {
    wait()
    shared.stopping = true
    if shared.started { for g in shared.go { g.signal() } }
  }

  /// Runs `job(w)` on thread `w` for every `w` in `0 ..< threads` (at most ``count``; all by
  /// default), without waiting. The other threads stay asleep.
  func start(threads: Int? = nil, _ job: @escaping @Sendable (Int) -> Void) {
    wait()
    if !shared.started { launch() }
    let n = min(max(threads ?? count, 1), count)
    shared.job = job
    shared.outstanding = n
    for g in shared.go.prefix(n) { g.signal() }
  }

  /// Waits until every thread given the job of ``start(threads:_:)`` has run it (at once if
  /// none).
  func wait() {
    guard shared.outstanding > 0 else { return }
    for _ in 0..<shared.outstanding { shared.finished.wait() }
    shared.outstanding = 0
    shared.job = nil
  }

  private func launch() {
    shared.started = true
    for w in 0..<count {
      let shared = self.shared
      let t = Thread {
        while true {
          shared.go[w].wait()
          if shared.stopping { return }
          shared.job?(w)
          shared.finished.signal()
        }
      }
      t.name = "supportbot-worker-\(w)"
      t.start()
    }
  }
}
