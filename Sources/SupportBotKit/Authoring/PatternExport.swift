import Foundation

/// Every compiled pattern of a bot, in the order and form the matcher uses, for outside tools
/// that compare or benchmark the same set (`supportbot patterns --json`).
///
/// Intents come in declaration order; within one, its patterns, then its exclusions. Patterns
/// run on the normalised message (see `normalization`), compiled with the listed PCRE2 options;
/// `source` is what PCRE2 compiles (fragments expanded), `written` what the author wrote.
public enum PatternExport {
  /// A JSON-compatible dictionary: `patterns`, `slot_patterns`, `ranking`, `normalization`.
  public static func object(_ bot: Bot) -> [String: Any] {
    var patterns: [[String: Any]] = []
    for intent in bot.intents {
      for (kind, list) in [("pattern", intent.patterns), ("exclusion", intent.exclusions)] {
        for (i, p) in list.enumerated() {
          patterns.append([
            "order": patterns.count,
            "intent": intent.id,
            "intent_order": intent.order,
            "kind": kind,
            "exclusion": kind == "exclusion",
            "index": i,
            "source": p.source,
            "written": p.written,
            "options": p.compiled.options.names,
            "priority": intent.priority,
            "contextual": intent.contextual,
            "location": p.location.description,
            "capture_count": p.compiled.captureCount,
            "named_groups": p.compiled.namedGroups.map(\.name),
            "jit": p.compiled.isJITCompiled,
          ])
        }
      }
    }
    var slotPatterns: [[String: Any]] = []
    for flow in bot.flows {
      for sid in flow.stateOrder {
        for fill in flow.state(sid)?.slots ?? [] {
          guard case .pattern(let p) = fill.source else { continue }
          slotPatterns.append([
            "flow": flow.id, "state": sid, "slot": fill.slot, "source": p.source,
            "options": p.options.names, "location": fill.location.description,
          ])
        }
      }
    }
    return [
      "patterns": patterns,
      "slot_patterns": slotPatterns,
      "ranking": [
        "a live candidate is an intent with a matching pattern and no matching exclusion",
        "contextual intents count only when the current state expects them",
        "expected by the current state first", "then higher priority",
        "then more bytes matched by the intent's longest-matching pattern",
        "then declaration order",
      ],
      "normalization": [
        "steps": [
          "typographic quotes, apostrophes and dashes become ASCII",
          "control and zero-width characters are removed",
          "runs of whitespace become one space; the ends are trimmed",
          "substitutions replace whole words, case-insensitively, longest phrase first",
        ],
        "substitutions": bot.normalizer.substitutions,
      ] as [String: Any],
    ]
  }

  public static func json(_ bot: Bot, pretty: Bool = false) -> String {
    var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
    if pretty { options.insert(.prettyPrinted) }
    guard let data = try? JSONSerialization.data(withJSONObject: object(bot), options: options)
    else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  /// One line per pattern: `ORDER INTENT [exclude] PRIORITY LOCATION SOURCE`.
  public static func text(_ bot: Bot) -> String {
    var lines: [String] = []
    var n = 0
    for intent in bot.intents {
      for (kind, list) in [("pattern", intent.patterns), ("exclude", intent.exclusions)] {
        for p in list {
          var flags = "priority=\(intent.priority)"
          if kind == "exclude" { flags += " exclude" }
          if intent.contextual { flags += " contextual" }
          lines.append("\(n)\t\(intent.id)\t\(flags)\t\(p.location)\t\(p.source)")
          n += 1
        }
      }
    }
    return lines.joined(separator: "\n")
  }
}
