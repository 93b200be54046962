/// Text for a terminal: removing control sequences from untrusted text, wrapping, colour.
public enum TerminalText {
  /// Removes terminal control sequences (CSI, OSC, DCS and other escapes, in their 7-bit and
  /// C1 forms) and control characters from `s`. Tabs become spaces; newlines stay only if
  /// `keepNewlines`.
  public static func sanitize(_ s: String, keepNewlines: Bool = true) -> String {
    // Fast path: nothing to remove.
    if !s.unicodeScalars.contains(where: { isControl($0) || (!keepNewlines && $0 == "\n") }) {
      return s
    }
    var out = String.UnicodeScalarView()
    var it = s.unicodeScalars.makeIterator()
    var pending: Unicode.Scalar? = nil
    func next() -> Unicode.Scalar? {
      if let p = pending {
        pending = nil
        return p
      }
      return it.next()
    }
    /// Skips a control string up to BEL or ST (ESC \ or U+009C).
    func skipString() {
      while let c = next() {
        if c.value == 0x07 || c.value == 0x9C { return }
        if c.value == 0x1B {
          if let d = next(), d != "\\" { pending = d }
          return
        }
      }
    }
    /// Skips a CSI sequence's parameters up to its final byte.
    func skipCSI() {
      while let c = next() {
        if c.value >= 0x40 && c.value <= 0x7E { return }
        if c.value < 0x20 || c.value > 0x7E {
          pending = c
          return
        }
      }
    }
    while let c = next() {
      switch c.value {
      case 0x1B:
        guard let d = next() else { break }
        switch d {
        case "[": skipCSI()
        case "]", "P", "X", "^", "_": skipString()
        case "(", ")", "*", "+", "#", "%":
          _ = next()  // designate a character set: one more byte
        default:
          if d.value < 0x20 || d.value > 0x7E { pending = d }  // ESC + something odd
        }
      case 0x9B: skipCSI()
      case 0x9D, 0x90, 0x98, 0x9E, 0x9F: skipString()
      case 0x0A: if keepNewlines { out.append(c) } else { out.append(" ") }
      case 0x09: out.append(" ")
      default:
        if !isControl(c) { out.append(c) }
      }
    }
    return String(out)
  }

  static func isControl(_ c: Unicode.Scalar) -> Bool {
    c.value < 0x20 && c.value != 0x0A || c.value == 0x7F || (c.value >= 0x80 && c.value < 0xA0)
  }

  /// Columns `c` takes on a terminal: 0 for combining marks and zero-width characters, 2 for
  /// East Asian wide and fullwidth characters and most emoji, else 1.
  public static func columns(_ c: Unicode.Scalar) -> Int {
    let v = c.value
    switch v {
    case 0x200B...0x200F, 0xFE00...0xFE0F, 0x2060...0x2064, 0xE0100...0xE01EF: return 0
    case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
      0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
      0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
      return 2
    default:
      if v >= 0x300,
        c.properties.generalCategory == .nonspacingMark
          || c.properties.generalCategory == .enclosingMark
      {
        return 0
      }
      return 1
    }
  }

  /// Columns `s` takes on a terminal.
  public static func columns(_ s: some StringProtocol) -> Int {
    var n = 0
    for c in s.unicodeScalars { n += c.value < 0x300 ? 1 : columns(c) }
    return n
  }

  /// Wraps `text` to `width` columns: the first line starts after `firstPrefix`, the others
  /// after `prefix` (both count towards the width). Newlines in `text` are kept; words longer
  /// than a line are broken. Wide characters count as two columns.
  public static func wrap(_ text: String, width: Int, firstPrefix: String = "", prefix: String = "")
    -> [String]
  {
    var lines: [String] = []
    var current = firstPrefix
    var currentWidth = columns(firstPrefix)
    let indentWidth = columns(prefix)
    let room = max(10, width)
    var lineHasWord = false
    func newLine() {
      lines.append(current)
      current = prefix
      currentWidth = indentWidth
      lineHasWord = false
    }
    for (n, paragraph) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    {
      if n > 0 { newLine() }
      for word in paragraph.split(separator: " ") {
        let wWidth = columns(word)
        if lineHasWord && currentWidth + 1 + wWidth > room { newLine() }
        if lineHasWord {
          current += " "
          currentWidth += 1
        }
        if currentWidth + wWidth <= room {
          current += word
          currentWidth += wWidth
        } else {
          // A word too long for any line: break it, scalar by scalar.
          for c in word.unicodeScalars {
            let w = columns(c)
            if currentWidth + w > room && currentWidth > indentWidth { newLine() }
            current.unicodeScalars.append(c)
            currentWidth += w
          }
        }
        lineHasWord = true
      }
    }
    lines.append(current)
    return lines
  }

  /// SGR colours used by chat.
  public enum Style: String, Sendable {
    case bot = "36"  // cyan
    case user = "1;32"  // bold green
    case info = "2"  // dim
    case error = "31"  // red
    case action = "33"  // yellow
  }

  /// `s` in `style` if `colour`, else `s` unchanged.
  public static func paint(_ s: String, _ style: Style, colour: Bool) -> String {
    colour ? "\u{1B}[\(style.rawValue)m\(s)\u{1B}[0m" : s
  }
}
