/// Turns a raw message into the text patterns see.
///
/// In order: typographic quotes, apostrophes and dashes become ASCII; control and
/// zero-width characters go; runs of whitespace become one space; the ends are trimmed;
/// then author-defined substitutions (`pls` → `please`) replace whole words, case-insensitively,
/// longest phrase first. Spans reported by the matcher refer to this normalised text.
///
/// A "word" is a run of ASCII letters, digits and apostrophes, each of which is a character on
/// its own (an `e` carrying a combining accent is not a word character). The work is done on
/// UTF-8 bytes; words are looked up in a hashed table without building strings.
public struct Normalizer: Sendable {
  /// Lower-cased word or phrase → replacement.
  public let substitutions: [String: String]
  let table: SubstitutionTable

  public init(substitutions: [String: String] = [:]) {
    var map: [String: String] = [:]
    for (k, v) in substitutions {
      let key = k.lowercased().split(separator: " ").joined(separator: " ")
      if !key.isEmpty { map[key] = v }
    }
    self.substitutions = map
    self.table = SubstitutionTable(map)
  }

  /// The normalised text. Returns `text` itself when nothing changes.
  public func normalize(_ text: String) -> String {
    var text = text
    if let r = text.utf8.withContiguousStorageIfAvailable({ normalizeToString($0, text) }) {
      return r
    }
    text.makeContiguousUTF8()
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { normalizeToString($0, text) }
  }

  private func normalizeToString(_ src: UnsafeBufferPointer<UInt8>, _ original: String)
    -> String
  {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(src.count, 1)) { cleanedBuf in
      let cleaned = cleanedBuf.baseAddress.unsafelyUnwrapped
      let (count, changed, ascii) = Self.clean(src, into: cleaned)
      let text = UnsafeBufferPointer(start: cleaned, count: count)
      if table.isEmpty {
        return changed ? String(decoding: text, as: UTF8.self) : original
      }
      let slots = SubstitutionTable.slotCapacity(forLength: count)
      return withUnsafeTemporaryAllocation(of: Int32.self, capacity: slots) { foundBuf in
        let found = foundBuf.baseAddress.unsafelyUnwrapped
        let n = table.find(in: text, ascii: ascii, into: found)
        if n == 0 { return changed ? String(decoding: text, as: UTF8.self) : original }
        let length = table.outputLength(text, found, n)
        return String(unsafeUninitializedCapacity: length) { out in
          table.write(text, found, n, into: out.baseAddress.unsafelyUnwrapped)
        }
      }
    }
  }

  /// Normalises `text` into `scratch`'s buffers without allocating (once they have grown);
  /// the result stays valid until the next call with the same scratch.
  func normalize(_ text: String, scratch: NormalizerScratch) -> UnsafeBufferPointer<UInt8> {
    var text = text
    if let r = text.utf8.withContiguousStorageIfAvailable({ normalize($0, scratch: scratch) }) {
      return r
    }
    text.makeContiguousUTF8()
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { normalize($0, scratch: scratch) }
  }

  func normalize(_ src: UnsafeBufferPointer<UInt8>, scratch: NormalizerScratch)
    -> UnsafeBufferPointer<UInt8>
  {
    let cleaned = scratch.cleaned.reserve(src.count)
    let (count, _, ascii) = Self.clean(src, into: cleaned)
    let text = UnsafeBufferPointer(start: cleaned, count: count)
    if table.isEmpty { return text }
    let found = scratch.found.reserve(SubstitutionTable.slotCapacity(forLength: count))
    let n = table.find(in: text, ascii: ascii, into: found)
    if n == 0 { return text }
    let length = table.outputLength(text, found, n)
    let out = scratch.output.reserve(length)
    _ = table.write(text, found, n, into: out)
    return UnsafeBufferPointer(start: out, count: length)
  }

  // MARK: Cleaning

  /// Writes the cleaned form of `src` (quotes, dashes, spaces, controls) to `dst`, which holds
  /// at least `src.count` bytes (cleaning never lengthens text). Returns the length, whether
  /// it differs from `src`, and whether it is all ASCII.
  static func clean(_ src: UnsafeBufferPointer<UInt8>, into dst: UnsafeMutablePointer<UInt8>)
    -> (count: Int, changed: Bool, ascii: Bool)
  {
    let n = src.count
    guard n > 0, let s = src.baseAddress else { return (0, false, true) }
    if isCleanASCII(s, n) {
      dst.update(from: s, count: n)
      return (n, false, true)
    }
    var o = 0
    var pendingSpace = false
    var changed = false
    var high: UInt8 = 0
    var i = 0
    while i < n {
      let b = s[i]
      if b < 0x80 {
        if b <= 0x20 || b == 0x7F {
          // A space, tab, newline or other control: part of a run of whitespace.
          if b != 0x20 || pendingSpace || o == 0 { changed = true }
          pendingSpace = o != 0
          i += 1
          continue
        }
        if pendingSpace {
          dst[o] = 0x20
          o += 1
          pendingSpace = false
        }
        if b == 0x60 {
          dst[o] = 0x27
          changed = true
        } else {
          dst[o] = b
        }
        o += 1
        i += 1
        continue
      }
      // Non-ASCII: only a few lead bytes start characters the normaliser maps.
      var length = 1
      var mapped: Mapped = .keep
      switch b {
      case 0xC2, 0xCA:
        let v = (UInt32(b & 0x1F) << 6) | UInt32(s[i + 1] & 0x3F)
        length = 2
        mapped = map(v)
      case 0xE1, 0xE2, 0xE3, 0xEF:
        let v =
          (UInt32(b & 0x0F) << 12) | (UInt32(s[i + 1] & 0x3F) << 6) | UInt32(s[i + 2] & 0x3F)
        length = 3
        mapped = map(v)
      default:
        length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
      }
      switch mapped {
      case .drop:
        changed = true
      case .space:
        changed = true
        pendingSpace = o != 0
      case .ascii(let a):
        changed = true
        if pendingSpace {
          dst[o] = 0x20
          o += 1
          pendingSpace = false
        }
        dst[o] = a
        o += 1
      case .keep:
        if pendingSpace {
          dst[o] = 0x20
          o += 1
          pendingSpace = false
        }
        high |= b
        for k in 0..<length { dst[o + k] = s[i + k] }
        o += length
      }
      i += length
    }
    if pendingSpace { changed = true }  // trailing whitespace trimmed
    return (o, changed, high < 0x80)
  }

  /// Whether cleaning would leave the `n` bytes at `s` as they are and they are all ASCII: no
  /// control character, DEL, backquote or non-ASCII byte, and only single spaces between
  /// words. The common case for typed messages, so it is checked eight bytes at a time.
  @inline(__always)
  static func isCleanASCII(_ s: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    if s[0] == 0x20 || s[n - 1] == 0x20 { return false }
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    /// 0x80 in each byte of `x` that is zero (exactly, unlike the borrow trick below).
    @inline(__always) func zeros(_ x: UInt64) -> UInt64 { ~(((x & lows) &+ lows) | x | lows) }
    var i = 0
    // 0x80 in byte 0 when the previous word's last byte was a space.
    var spaceBefore: UInt64 = 0
    while i + 8 <= n {
      let v = UInt64(littleEndian: UnsafeRawPointer(s + i).loadUnaligned(as: UInt64.self))
      if v & highs != 0 { return false }
      // With every byte below 0x80, a byte below 0x20 borrows into its own top bit; a borrow
      // can only spread past one that did.
      if (v &- ones &* 0x20) & ~v & highs != 0 { return false }
      if zeros(v ^ (ones &* 0x7F)) | zeros(v ^ (ones &* 0x60)) != 0 { return false }
      let spaces = zeros(v ^ (ones &* 0x20))
      if spaces & (spaces << 8 | spaceBefore) != 0 { return false }
      spaceBefore = spaces >> 56
      i += 8
    }
    var previousSpace = spaceBefore != 0
    while i < n {
      let b = s[i]
      if b >= 0x7F || b < 0x20 || b == 0x60 || (b == 0x20 && previousSpace) { return false }
      previousSpace = b == 0x20
      i += 1
    }
    return true
  }

  private enum Mapped {
    case keep
    case drop
    case space
    case ascii(UInt8)
  }

  /// The mapping of one non-ASCII scalar (the ASCII ones are handled inline).
  @inline(__always)
  private static func map(_ v: UInt32) -> Mapped {
    switch v {
    case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
      return .space
    case 0x80...0x9F:
      return .space
    case 0x200B...0x200D, 0x2060, 0xFEFF, 0x00AD:
      return .drop
    case 0x2018, 0x2019, 0x201A, 0x201B, 0x2032, 0x02BC, 0x00B4:
      return .ascii(0x27)
    case 0x201C, 0x201D, 0x201E, 0x201F, 0x2033, 0x00AB, 0x00BB:
      return .ascii(0x22)
    case 0x2010...0x2015, 0x2212:
      return .ascii(0x2D)
    case 0x2026:
      return .ascii(0x2E)
    default:
      return .keep
    }
  }
}

/// Reusable buffers for ``Normalizer``; one per thread.
final class NormalizerScratch {
  let cleaned = GrowableBuffer<UInt8>()
  let found = GrowableBuffer<Int32>()
  let output = GrowableBuffer<UInt8>()
}

/// Raw memory that only grows; contents are not preserved across `reserve`.
final class GrowableBuffer<T> {
  private(set) var base: UnsafeMutablePointer<T>
  private(set) var capacity: Int

  init(capacity: Int = 256) {
    self.capacity = capacity
    base = .allocate(capacity: capacity)
  }

  deinit { base.deallocate() }

  /// Memory for at least `n` elements (uninitialised for trivial `T`).
  @inline(__always)
  func reserve(_ n: Int) -> UnsafeMutablePointer<T> {
    if n > capacity { grow(n) }
    return base
  }

  private func grow(_ n: Int) {
    base.deallocate()
    capacity = max(n, capacity * 2)
    base = .allocate(capacity: capacity)
  }
}

/// Substitution keys as a word-level trie in an open-addressing hash table: looking up a word
/// hashes its folded bytes in place, so no string is built per word.
struct SubstitutionTable: Sendable {
  struct Edge: Sendable {
    var parent: Int32 = -1
    var child: Int32 = -1
    var hash: UInt32 = 0
    /// The word's bytes in `words`.
    var start: Int32 = 0
    var length: Int32 = 0
  }

  /// Per trie node: replacement index or -1, and whether any longer phrase continues it.
  private var replacement: [Int32] = [-1]
  private var hasChildren: [Bool] = [false]
  private var edges: [Edge] = []
  private var mask = 0
  /// One bit per (hash of a first word of a key) mod 2^16: most words of a message are no
  /// key's first word, and this rules them out without probing `edges`.
  private var firstWords = [UInt64](repeating: 0, count: 1024)
  private var words: [UInt8] = []
  private var replacements: [[UInt8]] = []

  var isEmpty: Bool { replacements.isEmpty }

  init(_ map: [String: String]) {
    var keyed: [([[UInt8]], String)] = []
    for (key, value) in map {
      guard let words = Self.wordBytes(key) else { continue }
      keyed.append((words, value))
    }
    guard !keyed.isEmpty else { return }
    var edgeList: [Edge] = []
    var edgeIndex: [[Int]: Int32] = [:]  // [parent] + word → child
    for (keyWords, value) in keyed {
      var node: Int32 = 0
      for w in keyWords {
        let lookup = [Int(node)] + w.map(Int.init)
        if let child = edgeIndex[lookup] {
          node = child
          continue
        }
        let child = Int32(replacement.count)
        replacement.append(-1)
        hasChildren.append(false)
        hasChildren[Int(node)] = true
        let h = Self.hash(w)
        if node == 0 { firstWords[Int(h & 0xFFFF) >> 6] |= 1 << (h & 63) }
        edgeList.append(
          Edge(
            parent: node, child: child, hash: h, start: Int32(words.count),
            length: Int32(w.count)))
        words.append(contentsOf: w)
        edgeIndex[lookup] = child
        node = child
      }
      replacement[Int(node)] = Int32(replacements.count)
      replacements.append(Array(value.utf8))
    }
    var size = 16
    while size < edgeList.count * 2 { size *= 2 }
    mask = size - 1
    edges = [Edge](repeating: Edge(), count: size)
    for e in edgeList {
      var slot = Self.slot(e.parent, e.hash) & mask
      while edges[slot].child >= 0 { slot = (slot + 1) & mask }
      edges[slot] = e
    }
  }

  /// The key's words as ASCII bytes, or nil when the key can never equal a lookup key (made
  /// of lower-case ASCII word characters separated by single spaces). A non-ASCII character
  /// counts when Swift's string equality takes it for an ASCII one (U+212A KELVIN SIGN is
  /// canonically `K`), as the dictionary the old implementation used would have.
  static func wordBytes(_ key: String) -> [[UInt8]]? {
    var out: [[UInt8]] = [[]]
    for c in key {
      var b = c.asciiValue
      if b == nil || c.unicodeScalars.count != 1 {
        b = nil
        for a in UInt8(0x20)...UInt8(0x7E) where Character(Unicode.Scalar(a)) == c {
          b = a
          break
        }
      }
      guard let byte = b else { return nil }
      if byte == 0x20 {
        out.append([])
      } else if isLowerWordByte(byte) {
        out[out.count - 1].append(byte)
      } else {
        return nil
      }
    }
    return out.contains(where: \.isEmpty) ? nil : out
  }

  @inline(__always) static func isLowerWordByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A) || b == 0x27
  }

  /// `'`, `0`–`9`, `A`–`Z` and `a`–`z` as bits of two 64-bit masks (bytes 0–63 and 64–127):
  /// the word test of the hot loops is one shift, with no chain of compares.
  @inline(__always) static func isWordByte(_ b: UInt8) -> Bool {
    let low: UInt64 = 1 << 0x27 | 0x3FF << 0x30
    let high: UInt64 = 0x3FF_FFFF << 1 | 0x3FF_FFFF << 33
    let mask = b < 64 ? low : b < 128 ? high : 0
    return (mask >> UInt64(b & 63)) & 1 != 0
  }

  /// A word byte (``isWordByte(_:)``) in lower case: every one but `A`–`Z` has bit 0x20 set.
  @inline(__always) static func foldWordByte(_ b: UInt8) -> UInt8 { b | 0x20 }

  @inline(__always) static func fold(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

  static func hash<C: Collection<UInt8>>(_ w: C) -> UInt32 {
    var h: UInt32 = 2_166_136_261
    for b in w { h = (h ^ UInt32(b)) &* 16_777_619 }
    return h
  }

  @inline(__always) static func slot(_ parent: Int32, _ hash: UInt32) -> Int {
    Int(truncatingIfNeeded: hash ^ (UInt32(bitPattern: parent) &* 0x9E37_79B9))
  }

  /// Room for the (start, end, replacement) triples `find` may write for a text this long.
  static func slotCapacity(forLength n: Int) -> Int { 3 * (n / 2 + 2) }

  private func child(
    of parent: Int32, _ text: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ hash: UInt32
  ) -> Int32? {
    var slot = Self.slot(parent, hash) & mask
    let length = Int32(end - start)
    while true {
      let e = edges[slot]
      if e.child < 0 { return nil }
      if e.parent == parent && e.hash == hash && e.length == length {
        var same = true
        var k = 0
        while k < Int(length) {
          if Self.fold(text[start + k]) != words[Int(e.start) + k] {
            same = false
            break
          }
          k += 1
        }
        if same { return e.child }
      }
      slot = (slot + 1) & mask
    }
  }

  /// Finds the substitutions to make in `text` (already cleaned), writing (start, end,
  /// replacement) triples to `found`; returns how many.
  func find(
    in buf: UnsafeBufferPointer<UInt8>, ascii: Bool, into found: UnsafeMutablePointer<Int32>
  )
    -> Int
  {
    let n = buf.count
    guard n > 0, let t = buf.baseAddress else { return 0 }
    @inline(__always) func isWord(_ i: Int) -> Bool {
      ascii ? Self.isWordByte(t[i]) : Self.isStandaloneWordByte(t, n, i)
    }
    var count = 0
    var i = 0
    while i < n {
      if !isWord(i) {
        i += 1
        continue
      }
      // A word run starts at i. Walk the trie phrase by phrase, remembering the longest key.
      var node: Int32 = 0
      var ws = i
      var firstEnd = -1
      var bestEnd = -1
      var bestReplacement: Int32 = -1
      while true {
        var we = ws
        var h: UInt32 = 2_166_136_261
        while we < n && isWord(we) {
          h = (h ^ UInt32(Self.foldWordByte(t[we]))) &* 16_777_619
          we += 1
        }
        if firstEnd < 0 {
          firstEnd = we
          if firstWords[Int(h & 0xFFFF) >> 6] & (1 << (h & 63)) == 0 { break }
        }
        guard let c = child(of: node, t, ws, we, h) else { break }
        node = c
        let r = replacement[Int(c)]
        if r >= 0 {
          bestEnd = we
          bestReplacement = r
        }
        // The next word of a phrase follows exactly one plain space.
        guard hasChildren[Int(c)], we + 1 < n, t[we] == 0x20, isWord(we + 1) else { break }
        ws = we + 1
      }
      if bestReplacement >= 0 {
        found[3 * count] = Int32(i)
        found[3 * count + 1] = Int32(bestEnd)
        found[3 * count + 2] = bestReplacement
        count += 1
        i = bestEnd
      } else {
        i = firstEnd
      }
    }
    return count
  }

  /// The length of `text` once the `found` substitutions are made.
  func outputLength(
    _ text: UnsafeBufferPointer<UInt8>, _ found: UnsafeMutablePointer<Int32>, _ n: Int
  ) -> Int {
    var length = text.count
    for k in 0..<n {
      length +=
        replacements[Int(found[3 * k + 2])].count
        - Int(found[3 * k + 1] - found[3 * k])
    }
    return length
  }

  /// Writes `text` with the `found` substitutions made to `out` (``outputLength`` bytes).
  @discardableResult
  func write(
    _ text: UnsafeBufferPointer<UInt8>, _ found: UnsafeMutablePointer<Int32>, _ n: Int,
    into out: UnsafeMutablePointer<UInt8>
  ) -> Int {
    guard let t = text.baseAddress else { return 0 }
    var o = 0
    var from = 0
    for k in 0..<n {
      let start = Int(found[3 * k])
      let end = Int(found[3 * k + 1])
      (out + o).update(from: t + from, count: start - from)
      o += start - from
      replacements[Int(found[3 * k + 2])].withUnsafeBufferPointer { r in
        if let base = r.baseAddress { (out + o).update(from: base, count: r.count) }
        o += r.count
      }
      from = end
    }
    (out + o).update(from: t + from, count: text.count - from)
    return o + text.count - from
  }

  /// Whether byte `i` is an ASCII word character that is a `Character` on its own: not
  /// followed by a combining mark or other grapheme extender, not preceded by a prepended
  /// concatenation mark. Swift's own grapheme breaking decides, so this agrees with
  /// `Character`-based splitting.
  static func isStandaloneWordByte(_ t: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> Bool {
    guard isWordByte(t[i]) else { return false }
    if i + 1 < n, t[i + 1] >= 0x80, let s = decode(t, n, at: i + 1), s.value >= 0x300 {
      var pair = "a"
      pair.unicodeScalars.append(s)
      if pair.count == 1 { return false }
    }
    if i > 0, t[i - 1] >= 0x80 {
      var start = i - 1
      while start > 0, t[start] & 0xC0 == 0x80 { start -= 1 }
      if let s = decode(t, n, at: start), s.value >= 0x600 {
        var pair = ""
        pair.unicodeScalars.append(s)
        pair.unicodeScalars.append("a")
        if pair.count == 1 { return false }
      }
    }
    return true
  }

  /// Decodes the scalar starting at byte `i` of valid UTF-8.
  static func decode(_ t: UnsafePointer<UInt8>, _ n: Int, at i: Int) -> Unicode.Scalar? {
    let b = t[i]
    var v: UInt32
    var len: Int
    if b < 0x80 { return Unicode.Scalar(b) }
    if b >= 0xF0 {
      v = UInt32(b & 0x07)
      len = 4
    } else if b >= 0xE0 {
      v = UInt32(b & 0x0F)
      len = 3
    } else {
      v = UInt32(b & 0x1F)
      len = 2
    }
    guard i + len <= n else { return nil }
    for k in 1..<len { v = (v << 6) | UInt32(t[i + k] & 0x3F) }
    return Unicode.Scalar(v)
  }
}
