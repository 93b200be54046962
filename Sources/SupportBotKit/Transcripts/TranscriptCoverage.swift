/// What transcripts exercised of a bot: intents, patterns, states and transitions.
///
/// - An intent counts when a message got it (it won the classification).
/// - A pattern counts when it matched a message that got its intent.
/// - A state counts when a turn entered it, or a turn was answered in it.
/// - A transition (`on`, `next` or `default`, known by its place in the flow file) counts when
///   the engine took it.
/// - Escalations (too many answers that did not fit a question) are listed per question state
///   for information; they are not part of the percentages.
public struct TranscriptCoverage: Sendable {
  public struct Item: Sendable, Hashable {
    /// What it is, for people: `delete_account`, `delete_account.confirm`, …
    public var name: String
    public var location: SourceLocation
    /// The key the trace uses (pattern and transition locations, `flow.state`, intent id).
    public var key: String
  }

  public private(set) var intents: [Item] = []
  public private(set) var patterns: [Item] = []
  public private(set) var states: [Item] = []
  public private(set) var transitions: [Item] = []
  /// Question states (states that wait for an answer without a `default`).
  public private(set) var questionStates: [Item] = []
  public private(set) var reached: Set<String> = []

  public init(bot: Bot) {
    for intent in bot.intents {
      intents.append(Item(name: intent.id, location: intent.location, key: "intent:" + intent.id))
      for (i, p) in intent.patterns.enumerated() {
        patterns.append(
          Item(
            name: "\(intent.id) #\(i + 1): \(Self.clip(p.source))", location: p.location,
            key: "pattern:\(p.location)"))
      }
    }
    for flow in bot.flows {
      for sid in flow.stateOrder {
        guard let s = flow.state(sid) else { continue }
        let name = "\(flow.id).\(sid)"
        states.append(Item(name: name, location: s.location, key: "state:" + name))
        // `if: A or B` loads as one transition per alternative at the same place: one edge.
        var edges: [(String, Transition)] = s.transitions.map { ("on", $0) }
        edges += s.next.map { ("next", $0) }
        if let d = s.fallback { edges.append(("default", d)) }
        var i = 0
        while i < edges.count {
          var group = [edges[i].1]
          while i + group.count < edges.count,
            edges[i + group.count].1.location == edges[i].1.location
          {
            group.append(edges[i + group.count].1)
          }
          transitions.append(edge(name, edges[i].0, group))
          i += group.count
        }
        if s.fallback == nil && (s.ask != nil || !s.transitions.isEmpty || !s.slots.isEmpty)
          && s.next.isEmpty
        {
          questionStates.append(Item(name: name, location: s.location, key: "escalate:" + name))
        }
      }
    }
  }

  /// Long patterns are cut to 80 characters in the report (the location names the rest).
  static func clip(_ s: String) -> String {
    s.count <= 80 ? s : String(s.prefix(79)) + "…"
  }

  func edge(_ from: String, _ kind: String, _ group: [Transition]) -> Item {
    let t = group[0]
    var what = kind
    if !t.intents.isEmpty { what += " " + t.intents.joined(separator: "|") }
    let conditions = group.compactMap { $0.condition?.description }
    if !conditions.isEmpty { what += " if " + conditions.joined(separator: " or ") }
    return Item(
      name: "\(from) --\(what)--> \(t.target)", location: t.location,
      key: "transition:\(t.location)")
  }

  /// Records one step of a replay (`before` is the session the turn started from).
  public mutating func record(_ result: StepResult, before: SessionState) {
    if let w = result.trace.classification?.winner {
      reached.insert("intent:" + w.intent)
      for h in w.hits { reached.insert("pattern:\(h.location)") }
    }
    if let f = before.flow, let s = before.state, result.trace.text != nil {
      reached.insert("state:\(f).\(s)")
    }
    for e in result.trace.entered { reached.insert("state:" + e) }
    for t in result.trace.transitions { reached.insert("transition:\(t.location)") }
    for a in result.actions where a.reason == "escalation" {
      if let f = a.flow, let s = a.state { reached.insert("escalate:\(f).\(s)") }
    }
  }

  public mutating func merge(_ other: TranscriptCoverage) { reached.formUnion(other.reached) }

  public struct Line: Sendable {
    public var label: String
    public var reached: Int
    public var total: Int
    public var missing: [Item]
    public var percent: Double { total == 0 ? 100 : Double(reached) * 100 / Double(total) }
  }

  public var lines: [Line] {
    [
      line("intents", intents), line("patterns", patterns), line("states", states),
      line("transitions", transitions),
    ]
  }

  public var escalations: Line { line("escalations", questionStates) }

  func line(_ label: String, _ items: [Item]) -> Line {
    let missing = items.filter { !reached.contains($0.key) }
    return Line(
      label: label, reached: items.count - missing.count, total: items.count, missing: missing)
  }

  /// The `--coverage` report: a table, then what was never reached, with file:line:col.
  public func report(botDirectory: String) -> String {
    var out = ["coverage of the bot in \(botDirectory):"]
    for l in lines + [escalations] {
      let pct = String(format1: l.percent)
      let label = l.label.padding(toLength: 12, withPad: " ", startingAt: 0)
      let note = l.label == "escalations" ? "   (question states escalated; informational)" : ""
      out.append("  \(label) \(pad(l.reached, 4))/\(pad(l.total, 4))  \(pad(pct, 6))%" + note)
    }
    let missingAll = lines.filter { !$0.missing.isEmpty }
    if missingAll.isEmpty {
      out.append("every intent, pattern, state and transition was reached")
    } else {
      out.append("never reached:")
      for l in missingAll {
        for item in l.missing {
          out.append("  \(l.label.dropLast()) \(item.name)  (\(item.location))")
        }
      }
    }
    let notEscalated = escalations.missing
    if !notEscalated.isEmpty {
      out.append("questions never escalated (informational):")
      for item in notEscalated { out.append("  state \(item.name)  (\(item.location))") }
    }
    return out.joined(separator: "\n")
  }

  func pad(_ v: Any, _ n: Int) -> String {
    let s = "\(v)"
    return String(repeating: " ", count: max(0, n - s.count)) + s
  }
}

extension String {
  /// A percentage with one decimal, without Foundation's locale-dependent formatting.
  init(format1 value: Double) {
    let tenths = Int((value * 10).rounded())
    self = "\(tenths / 10).\(tenths % 10)"
  }
}
