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
      if !c.captures.isEmpty {
        let e = c.captures.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
        lines.append("      captures: " + e.joined(separator: " "))
      }
      for h in c.hits where h.index != c.best.index {
        let span = "\(h.span.lowerBound)..<\(h.span.upperBound)"
        lines.append("      also matched \(h.location): \(h.source) (span=\(span) \"\(h.text)\")")
      }
      if let x = c.excludedBy {
        lines.append("      excluded by \(x.location): \(x.source) (matched \"\(x.text)\")")
      } else if let w = cls.winner, rank > 0 {
        lines.append("      loses: \(Matcher.reason([w, c]))")
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
        "hits": c.hits.map { h -> [String: Any] in
          [
            "pattern": h.source, "location": h.location.description,
            "span": [h.span.lowerBound, h.span.upperBound], "matched": h.text,
          ]
        },
      ]
      if let x = c.excludedBy {
        o["excluded_by"] = [
          "pattern": x.source, "location": x.location.description, "matched": x.text,
        ]
      } else if let w = cls.winner, rank > 0 {
        o["loses_because"] = Matcher.reason([w, c])
      }
      return o
    }
    if !cls.limitErrors.isEmpty { out["limit_errors"] = cls.limitErrors }
    return out
  }

  public static func json(_ cls: Classification) -> String { json(object(cls)) }

  /// One line of JSON with sorted keys, for an ``object(_:)`` result with fields added.
  public static func json(_ object: [String: Any]) -> String {
    guard
      let data = try? JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  // MARK: Whole turns

  /// `flow.state`, or `idle` outside a flow.
  static func place(_ flow: String?, _ state: String?) -> String {
    guard let flow else { return "idle" }
    return state.map { "\(flow).\($0)" } ?? flow
  }

  /// A turn's trace for people (`/why`): the classification, then the state before and after,
  /// states entered, transitions taken, slots written and the engine's steps.
  public static func text(_ trace: Trace) -> String {
    var lines: [String] = []
    if let t = trace.text { lines.append("message: \"\(t)\"") }
    if !trace.redacted.isEmpty {
      lines.append("redacted: " + trace.redacted.map(\.rawValue).joined(separator: ", "))
    }
    if let cls = trace.classification { lines.append(text(cls)) }
    if !trace.expected.isEmpty {
      lines.append("expected here: " + trace.expected.joined(separator: ", "))
    }
    lines.append(
      "state: \(place(trace.flowBefore, trace.stateBefore)) → "
        + place(trace.flowAfter, trace.stateAfter))
    if !trace.entered.isEmpty { lines.append("entered: " + trace.entered.joined(separator: ", ")) }
    for t in trace.transitions {
      lines.append(
        "transition: \(t.flow).\(t.state) \(t.kind.rawValue) → \(t.target) (\(t.location))")
    }
    for w in trace.slotWrites {
      lines.append("slot: \(w.slot) = \"\(w.value)\" (from \(w.source))")
    }
    if !trace.steps.isEmpty { lines.append("steps:") }
    for s in trace.steps { lines.append("  - \(s)") }
    return lines.joined(separator: "\n")
  }

  /// The same data as a JSON-compatible dictionary (the protocol's `explain`).
  public static func object(_ trace: Trace) -> [String: Any] {
    var out: [String: Any] = [
      "state_before": [
        "flow": trace.flowBefore ?? NSNull(), "state": trace.stateBefore ?? NSNull(),
      ] as [String: Any],
      "state_after": [
        "flow": trace.flowAfter ?? NSNull(), "state": trace.stateAfter ?? NSNull(),
      ] as [String: Any],
      "expected": trace.expected,
      "entered": trace.entered,
      "transitions": trace.transitions.map { t -> [String: Any] in
        [
          "flow": t.flow, "state": t.state, "kind": t.kind.rawValue,
          "location": t.location.description, "target": t.target,
        ]
      },
      "slot_writes": trace.slotWrites.map { w -> [String: Any] in
        ["slot": w.slot, "value": w.value, "source": w.source]
      },
      "redacted": trace.redacted.map(\.rawValue),
      "steps": trace.steps,
    ]
    out["text"] = trace.text ?? NSNull()
    out["classification"] = trace.classification.map { object($0) } ?? NSNull()
    return out
  }
}
