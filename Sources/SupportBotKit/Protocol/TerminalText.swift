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

  /// Wraps `text` to `width` columns: the first line starts after `firstPrefix`, the others
  /// after `prefix` (both count towards the width). Newlines in `text` are kept; words longer
  /// than a line are broken. Columns are counted in Unicode scalars.
  public static func wrap(_ text: String, width: Int, firstPrefix: String = "", prefix: String = "")
    -> [String]
  {
    var lines: [String] = []
    var current = firstPrefix
    var currentWidth = firstPrefix.unicodeScalars.count
    let indentWidth = prefix.unicodeScalars.count
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
        var w = Substring(word)
        var wWidth = w.unicodeScalars.count
        if lineHasWord && currentWidth + 1 + wWidth > room { newLine() }
        if lineHasWord {
          current += " "
          currentWidth += 1
        }
        // A word too long for any line: break it.
        while currentWidth + wWidth > room && room - currentWidth > 0 {
          let take = room - currentWidth
          let cut = w.unicodeScalars.index(w.unicodeScalars.startIndex, offsetBy: take)
          current += String(w.unicodeScalars[..<cut])
          w = Substring(w.unicodeScalars[cut...])
          wWidth -= take
          newLine()
        }
        current += w
        currentWidth += wWidth
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
