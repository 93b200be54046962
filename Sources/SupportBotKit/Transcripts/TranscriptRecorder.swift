/// Writes a recorded conversation as a transcript that replays green as written.
///
/// Every reply is an exact `<` line, and each text turn asserts its intent, entities, the state
/// after it, the slots it wrote and its actions, so the file starts strict; an author then
/// loosens what is incidental (`<~`, `</ … /`, `<*`). Secrets never reach the file: the text is
/// taken after redaction and each redacted value is replaced by an obviously fake stand-in of
/// the same kind, so the replay still triggers the sensitive-data handling.
public enum TranscriptRecorder {
  /// Fake values, one per kind of secret, that the redactor recognises like the real thing.
  static let standIns: [String] = ["4111 1111 1111 1111", "fake-secret-1", "123456"]

  public static func render(_ log: ConversationLog) -> String {
    render(log, title: nil)
  }

  /// Renders `log` with a title and tags. Without a title the file name serves as one.
  public static func render(_ log: ConversationLog, title: String?, tags: [String] = []) -> String {
    var out: [String] = []
    out.append("# Recorded with /save. Replies are exact: loosen incidental wording with")
    out.append(
      "# <~ (contains), </ regex / or <* (anything) — see the README's Transcripts section.")
    if let title { out.append("title: " + oneLine(title)) }
    if !tags.isEmpty { out.append("tags: " + tags.joined(separator: ", ")) }
    out.append("today: \(log.today)")
    if let platform = log.platform { out.append("platform: " + oneLine(platform)) }
    if let flow = log.startFlow {
      out.append("start: " + flow + (log.startState.map { "." + $0 } ?? ""))
    }
    for (k, v) in log.startSlots.sorted(by: { $0.key < $1.key }) {
      out.append("slot \(k) = \(TranscriptSyntax.slotValue(v))")
    }
    let redactor = Redactor()
    for (input, result) in log.turns {
      out.append("")
      var neverLines: [String] = []
      switch input {
      case .start: out.append("> @start")
      case .reset: out.append("> @reset")
      case .end: out.append("> @end")
      case .text(let raw):
        let (safe, note) = safeText(raw, trace: result.trace, redactor: redactor)
        if let note {
          out.append("# " + note)
          // The stand-ins stand for secrets: assert they never come back.
          neverLines = standIns.filter { safe.contains($0) }.map { "never: " + $0 }
        }
        var line = TranscriptSyntax.escape(safe)
        if line.hasPrefix("@") { line = "\\" + line }
        out.append(line.isEmpty ? ">" : "> " + line)
        out.append("intent: " + (result.intent ?? "none"))
        if !result.entities.isEmpty {
          let e = result.entities.sorted { $0.key < $1.key }.map {
            "\($0.key)=" + TranscriptSyntax.slotValue(.string($0.value))
          }
          out.append("entities: " + e.joined(separator: ", "))
        }
      }
      if result.replies.isEmpty {
        out.append("<-")
      } else {
        for r in result.replies { out.append(r.isEmpty ? "<" : "< " + TranscriptSyntax.escape(r)) }
      }
      let s = result.state
      if let flow = s.flow {
        out.append("state: \(flow).\(s.state ?? "")")
      } else {
        out.append("state: none")
      }
      var written: [String] = []
      for w in result.trace.slotWrites where !written.contains(w.slot) { written.append(w.slot) }
      for k in written.sorted() {
        if let v = s.slots[k] { out.append("slot \(k) = \(TranscriptSyntax.slotValue(v))") }
      }
      for a in result.actions { out.append("action: \(a.type.rawValue) (\(a.reason))") }
      if s.ended { out.append("ended: yes") }
      out += neverLines
    }
    return out.joined(separator: "\n") + "\n"
  }

  /// The user's text with secrets swapped for stand-ins the redactor treats the same way.
  ///
  /// The text is the user's own words when nothing was redacted. Otherwise the raw text is
  /// redacted here and each secret replaced by a stand-in; if the redactor only finds the
  /// secret after the engine's normalising, the engine's (normalised) text is used instead.
  static func safeText(_ raw: String, trace: Trace, redactor: Redactor) -> (String, String?) {
    let own = redactor.redact(raw)
    if own.kinds.isEmpty && trace.redacted.isEmpty { return (raw, nil) }
    if !own.kinds.isEmpty, let swapped = standIn(own.text, kinds: own.kinds, redactor: redactor) {
      return (swapped, "secrets in this message were replaced by fake stand-ins")
    }
    let normalised = trace.text ?? own.text
    let kinds = trace.text == nil ? own.kinds : trace.redacted
    if let swapped = standIn(normalised, kinds: kinds, redactor: redactor) {
      return (swapped, "secrets in this message were replaced by fake stand-ins")
    }
    return (normalised, "secrets in this message were removed; this turn may not replay the same")
  }

  /// `redacted` with each marker replaced so that redacting the result gives back `redacted`
  /// and `kinds`; nil when no assignment of stand-ins does.
  static func standIn(_ redacted: String, kinds: [Redactor.Kind], redactor: Redactor) -> String? {
    let pieces = redacted.components(separatedBy: Redactor.marker)
    let count = pieces.count - 1
    guard count > 0, count <= 6 else { return nil }
    // Try every assignment of stand-ins to markers (few markers, three kinds).
    var choice = [Int](repeating: 0, count: count)
    while true {
      var candidate = pieces[0]
      for i in 0..<count { candidate += standIns[choice[i]] + pieces[i + 1] }
      let check = redactor.redact(candidate)
      if check.text == redacted && check.kinds == kinds { return candidate }
      var i = 0
      while i < count {
        choice[i] += 1
        if choice[i] < standIns.count { break }
        choice[i] = 0
        i += 1
      }
      if i == count { return nil }
    }
  }

  static func oneLine(_ s: String) -> String {
    s.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
  }
}
