import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Set from the SIGTERM handler; read by the loop between reads.
nonisolated(unsafe) private var terminationRequested: sig_atomic_t = 0
/// The write end of a pipe the SIGTERM handler writes a byte to, so a loop waiting in `poll`
/// wakes even if the signal lands just before it starts waiting (-1 until installed).
nonisolated(unsafe) private var wakeWriteEnd: Int32 = -1
nonisolated(unsafe) private var wakeReadEnd: Int32 = -1

/// The SIGTERM handler: only async-signal-safe work.
private func onTerminate() {
  terminationRequested = 1
  if wakeWriteEnd >= 0 {
    var byte: UInt8 = 1
    _ = write(wakeWriteEnd, &byte, 1)
  }
}

/// The `serve` I/O loop: reads a file descriptor in chunks, answers each line through a
/// ``ProtocolServer``, and writes replies to another descriptor.
///
/// Replies are flushed whenever no more input is immediately available (so a client sending
/// one line at a time gets each answer at once) and otherwise in blocks of about 64 KiB (so a
/// file of many lines streams through quickly). While input keeps coming, the loop reads,
/// frames and decodes the next lines and writes the previous replies while the server's
/// workers answer the lines before them (see ``ProtocolServer/begin(_:now:today:into:)``).
/// At end of input or on SIGTERM, the lines already read are answered, output is flushed,
/// and the loop returns.
public enum ServeLoop {
  /// How the loop ended.
  public enum Outcome: Sendable, Equatable {
    /// End of input (or SIGTERM): everything read was answered.
    case finished
    /// SIGTERM: lines read were answered; a partial last line was dropped.
    case terminated
    /// Standard output went away (a closed pipe).
    case outputClosed
    /// Reading failed with this errno.
    case readFailed(Int32)
    /// The session store could not be written: the replies waiting for it were not written
    /// either (a reply is never seen before its conversation's state is stored).
    case sessionStoreFailed(SessionStoreError)
  }

  /// Makes SIGTERM end the loop gracefully and a closed output an error, not a crash.
  public static func installSignalHandlers() {
    signal(SIGPIPE, SIG_IGN)
    var action = sigaction()
    #if canImport(Darwin)
      action.__sigaction_u.__sa_handler = { _ in onTerminate() }
    #else
      action.__sigaction_handler.sa_handler = { _ in onTerminate() }
    #endif
    if wakeReadEnd < 0 {
      var fds: [Int32] = [-1, -1]
      if pipe(&fds) == 0 {
        for fd in fds {
          _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
          _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeReadEnd = fds[0]
        wakeWriteEnd = fds[1]
      }
    }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0  // no SA_RESTART: a blocked read returns EINTR
    sigaction(SIGTERM, &action, nil)
    unblock(SIGTERM)
  }

  /// Unblocks `signal`, which a parent process may have left blocked (the mask is inherited).
  public static func unblock(_ signal: Int32) {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, signal)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
  }

  /// A monotonic clock in seconds, for idle expiry.
  public static func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  public static func run(
    server: ProtocolServer, input: Int32 = 0, output: Int32 = 1,
    clock: () -> Double = monotonicSeconds, today: () -> CivilDate
  ) -> Outcome {
    let chunkSize = 64 * 1024
    let flushAt = 64 * 1024
    var framer = LineFramer(maxLineBytes: server.options.maxLineBytes)
    var batch = ProtocolServer.Batch()
    var out: [UInt8] = []
    out.reserveCapacity(flushAt + 16 * 1024)
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    defer { buf.deallocate() }
    var outcome = Outcome.finished

    loop: while true {
      if terminationRequested != 0 {
        framer.discardPartialLine()
        outcome = .terminated
        break
      }
      if (server.isRunning || !out.isEmpty) && !readable(input) {
        // Nothing more to read for now: everything read so far is answered and sent.
        server.finish(into: &out)
        if let failure = persist(server) { return failure }
        guard flush(&out, to: output) else { return .outputClosed }
      }
      waitForInput(input)
      if terminationRequested != 0 { continue }
      let n = read(input, buf.baseAddress, chunkSize)
      if n < 0 {
        if errno == EINTR { continue }
        outcome = .readFailed(errno)
        break
      }
      let now = clock()
      let day = today()
      if n == 0 {
        framer.finish { line in enqueue(line, server, &batch) }
        server.answer(&batch, now: now, today: day, into: &out)
        break
      }
      let chunk = UnsafeBufferPointer(
        start: buf.baseAddress?.assumingMemoryBound(to: UInt8.self), count: n)
      // The lines of one read are answered together (on several threads if the server has
      // workers), always in input order.
      framer.feed(chunk) { line in enqueue(line, server, &batch) }
      server.begin(&batch, now: now, today: day, into: &out)
      if out.count >= flushAt {
        if let failure = persist(server) {
          server.finish(into: &out)
          return failure
        }
        guard flush(&out, to: output) else {
          server.finish(into: &out)
          return .outputClosed
        }
      }
    }
    server.finish(into: &out)
    if let failure = persist(server) { return failure }
    guard flush(&out, to: output) else { return .outputClosed }
    return outcome
  }

  private static func enqueue(
    _ line: LineFramer.Line, _ server: ProtocolServer, _ batch: inout ProtocolServer.Batch
  ) {
    switch line {
    case .line(let bytes): server.enqueue(line: bytes, into: &batch)
    case .tooLong(let prefix, let length):
      server.enqueueTooLong(prefix: prefix, length: length, into: &batch)
    }
  }

  /// Commits the sessions behind the replies about to be written (`serve --sessions`).
  private static func persist(_ server: ProtocolServer) -> Outcome? {
    do {
      try server.persistSessions()
      return nil
    } catch {
      return .sessionStoreFailed(error)
    }
  }

  /// Whether a read would return at once (data, end of input or an error).
  private static func readable(_ fd: Int32) -> Bool {
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&p, 1, 0) > 0
  }

  /// Waits until `fd` is readable or SIGTERM arrives (when handlers are installed).
  private static func waitForInput(_ fd: Int32) {
    guard wakeReadEnd >= 0 else { return }  // no handler: the read itself blocks
    var fds = [
      pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
      pollfd(fd: wakeReadEnd, events: Int16(POLLIN), revents: 0),
    ]
    while terminationRequested == 0 {
      let n = poll(&fds, 2, -1)
      if n > 0 || (n < 0 && errno != EINTR) { return }
    }
  }

  /// Writes all of `out`, retrying short writes; false if the output is gone.
  private static func flush(_ out: inout [UInt8], to fd: Int32) -> Bool {
    var ok = true
    out.withUnsafeBytes { b in
      var off = 0
      while off < b.count {
        let w = write(fd, b.baseAddress.map { $0 + off }, b.count - off)
        if w < 0 {
          if errno == EINTR { continue }
          ok = false
          return
        }
        off += w
      }
    }
    out.removeAll(keepingCapacity: true)
    return ok
  }
}
