import Foundation

/// Splits a byte stream into lines of at most `maxLineBytes` bytes (newline excluded).
///
/// Lines that fit in one chunk are handed out in place, without copying. Of a longer line only
/// the first `maxLineBytes` bytes are kept (to read `id` and `session` from); the rest is
/// counted and dropped as it arrives, so memory stays bounded whatever the input.
public struct LineFramer {
  /// One line, valid only during the callback.
  public enum Line {
    case line(UnsafeBufferPointer<UInt8>)
    /// A line over the limit: its first `maxLineBytes` bytes, and its full length.
    case tooLong(prefix: UnsafeBufferPointer<UInt8>, length: Int)
  }

  public let maxLineBytes: Int
  private var pending: [UInt8] = []
  /// Bytes of the current over-long line seen so far, or nil if the line still fits.
  private var overflow: Int?

  public init(maxLineBytes: Int) {
    self.maxLineBytes = max(1, maxLineBytes)
  }

  /// Whether a partial line is waiting for its newline.
  public var hasPartialLine: Bool { !pending.isEmpty || overflow != nil }

  /// Feeds bytes; `body` gets every line completed by them, in order.
  public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ body: (Line) -> Void) {
    guard let base = chunk.baseAddress else { return }
    var i = 0
    let n = chunk.count
    while i < n {
      let rest = n - i
      let nl = memchr(base + i, 0x0A, rest).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) }
      let end = nl ?? n
      let piece = UnsafeBufferPointer(start: base + i, count: end - i)
      if let seen = overflow {
        overflow = seen + piece.count
      } else if pending.isEmpty && nl != nil && piece.count <= maxLineBytes {
        body(.line(piece))  // the common case: a whole line inside the chunk
      } else if pending.count + piece.count <= maxLineBytes {
        pending.append(contentsOf: piece)
      } else {
        let room = maxLineBytes - pending.count
        pending.append(contentsOf: UnsafeBufferPointer(rebasing: piece[0..<room]))
        overflow = maxLineBytes + (piece.count - room)
      }
      guard nl != nil else { return }
      completeLine(body)
      i = end + 1
    }
  }

  /// At the end of input: a last line without a newline still counts.
  public mutating func finish(_ body: (Line) -> Void) {
    if hasPartialLine { completeLine(body) }
  }

  /// Drops a partial line (used when stopping on a signal).
  public mutating func discardPartialLine() {
    pending.removeAll(keepingCapacity: true)
    overflow = nil
  }

  private mutating func completeLine(_ body: (Line) -> Void) {
    if let total = overflow {
      pending.withUnsafeBufferPointer {
        body(.tooLong(prefix: $0, length: total))
      }
      overflow = nil
      pending.removeAll(keepingCapacity: true)
    } else if !pending.isEmpty {
      pending.withUnsafeBufferPointer { body(.line($0)) }
      pending.removeAll(keepingCapacity: true)
    }
  }
}
