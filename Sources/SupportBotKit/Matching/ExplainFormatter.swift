import Foundation

/// Renders a ``Classification`` for people (`classify`, `/why`) and programs (`--json`).
public enum ExplainFormatter {
  /// Several lines: the verdict, then every candidate with its pattern, span and rank data.
  public static func text(_ cls: Classification) -> String {
    var lines: [String] = []
    if let w = cls.winner {
      lines.append("intent: \(w.intent)")
      if !w.captures.isEmpty {
        let e = w.captures.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
        lines.append("entities: " + e.joined(separator: " "))
      }
    } else {
      lines.append("intent: fallback (no intent matched)")
    }
    lines.append("normalised: \"\(cls.normalized)\"")
    lines.append("why: \(cls.reason)")
    if !cls.candidates.isEmpty { lines.append("candidates:") }
    for (rank, c) in cls.candidates.enumerated() {
      let status = c.excludedBy == nil ? "#\(rank + 1)" : "excluded"
      var line =
        "  \(status) \(c.intent)  priority=\(c.priority) span=\(c.best.span.lowerBound)..<\(c.best.span.upperBound)"
        + " (\"\(c.best.text)\") specificity=\(c.specificity)"
      if c.expected { line += " expected" }
      lines.append(line)
      lines.append("      pattern \(c.best.location): \(c.best.source)")
      if let x = c.excludedBy {
        lines.append("      excluded by \(x.location): \(x.source) (matched \"\(x.text)\")")
      }
    }
    for e in cls.limitErrors { lines.append("warning: \(e)") }
    return lines.joined(separator: "\n")
  }

  /// The same data as a JSON-compatible dictionary.
  public static func object(_ cls: Classification) -> [String: Any] {
    var out: [String: Any] = [
      "intent": cls.intent ?? NSNull(),
      "entities": cls.entities,
      "normalized": cls.normalized,
      "reason": cls.reason,
    ]
    out["candidates"] = cls.candidates.enumerated().map { (rank, c) -> [String: Any] in
      var o: [String: Any] = [
        "intent": c.intent,
        "rank": c.excludedBy == nil ? rank + 1 : NSNull(),
        "priority": c.priority,
        "expected": c.expected,
        "specificity": c.specificity,
        "pattern": c.best.source,
        "location": c.best.location.description,
        "span": [c.best.span.lowerBound, c.best.span.upperBound],
        "matched": c.best.text,
        "captures": c.captures,
      ]
      if let x = c.excludedBy {
        o["excluded_by"] = ["pattern": x.source, "location": x.location.description, "matched": x.text]
      }
      return o
    }
    if !cls.limitErrors.isEmpty { out["limit_errors"] = cls.limitErrors }
    return out
  }

  public static func json(_ cls: Classification) -> String {
    guard
      let data = try? JSONSerialization.data(
        withJSONObject: object(cls), options: [.sortedKeys, .withoutEscapingSlashes])
    else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }
}
