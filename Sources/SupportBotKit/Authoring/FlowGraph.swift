/// A bot's flows as a state diagram: states, transitions labelled by intent or condition,
/// automatic steps, defaults, escalations and hand-offs to a person.
///
/// Rendered as Mermaid (`stateDiagram-v2`, which GitHub shows inline) or Graphviz DOT. Output is
/// deterministic: states in file order, transitions in the order the engine tries them.
public struct FlowGraph: Sendable {
  /// A box in the diagram.
  public struct Node: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
      case state, start, end, person, flow
    }

    /// Unique across the whole graph.
    public let id: String
    public let label: String
    public let kind: Kind
    /// The flow the node belongs to (each flow has its own start, end and person nodes).
    public let flow: String
    /// The state hands the conversation to a person (`action: handoff`).
    public var handoff = false
  }

  /// An arrow in the diagram.
  public struct Edge: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
      /// A flow's trigger intents, into its start state.
      case trigger
      /// `on:` — the user's answer.
      case on
      /// `next:` — taken on entering, without waiting.
      case next
      /// `default:` — an answer that fits nothing.
      case `default`
      /// A state with nothing to wait for ends its flow.
      case ends
      /// Too many answers that fit nothing: the engine hands over.
      case escalation
      /// `action: handoff`.
      case handoff
    }

    public let from: String
    public let to: String
    public let label: String
    public let kind: Kind
  }

  public private(set) var nodes: [Node] = []
  public private(set) var edges: [Edge] = []
  /// Flow ids drawn, in bot order.
  public let flows: [String]

  public enum GraphError: Error, Sendable, CustomStringConvertible {
    case unknownFlow(String, known: [String])
    public var description: String {
      switch self {
      case .unknownFlow(let f, let known):
        return "no flow '\(f)'; the bot has: " + known.joined(separator: ", ")
      }
    }
  }

  /// The graph of one flow (`flow`) or of every flow.
  public init(bot: Bot, flow: String? = nil) throws(GraphError) {
    let selected: [Flow]
    if let flow {
      guard let f = bot.flow(flow) else {
        throw .unknownFlow(flow, known: bot.flows.map(\.id))
      }
      selected = [f]
    } else {
      selected = bot.flows
    }
    flows = selected.map(\.id)
    let single = selected.count == 1
    func stateID(_ flow: String, _ state: String) -> String {
      single ? FlowGraph.safeID(state) : "\(flow)__\(state)"
    }
    // Ids of the drawn nodes that are not states must not collide with any state's.
    var taken = Set(selected.flatMap { f in f.stateOrder.map { stateID(f.id, $0) } })
    func fresh(_ base: String) -> String {
      var id = base
      while taken.contains(id) { id += "_" }
      taken.insert(id)
      return id
    }
    for flow in selected {
      let prefix = single ? "" : "\(flow.id)__"
      let person = fresh(prefix + "support_person")
      var personUsed = false
      let start = fresh(prefix + "start")
      let end = fresh(prefix + "end")
      nodes.append(Node(id: start, label: "", kind: .start, flow: flow.id))
      var endUsed = false
      for sid in flow.stateOrder {
        guard let s = flow.state(sid) else { continue }
        var node = Node(id: stateID(flow.id, sid), label: sid, kind: .state, flow: flow.id)
        node.handoff = s.action == .handoff
        nodes.append(node)
      }
      edges.append(
        Edge(
          from: start, to: stateID(flow.id, flow.start),
          label: flow.triggers.joined(separator: " / "), kind: .trigger))
      for sid in flow.stateOrder {
        guard let s = flow.state(sid) else { continue }
        let from = stateID(flow.id, sid)
        func target(_ t: Target) -> String {
          switch t {
          case .state(let x): return stateID(flow.id, x)
          case .end:
            endUsed = true
            return end
          case .flow(let f):
            if let known = nodes.first(where: {
              $0.kind == .flow && $0.flow == flow.id && $0.label == "flow \(f)"
            }) {
              return known.id
            }
            let id = fresh(prefix + "flow_\(f)")
            nodes.append(Node(id: id, label: "flow \(f)", kind: .flow, flow: flow.id))
            return id
          }
        }
        if s.action == .handoff {
          personUsed = true
          edges.append(Edge(from: from, to: person, label: "hand-off", kind: .handoff))
        }
        for t in s.next {
          edges.append(
            Edge(
              from: from, to: target(t.target),
              label: (["next"] + t.intents + (t.condition.map { ["if \($0.source)"] } ?? []))
                .joined(separator: " "), kind: .next))
        }
        for t in s.transitions {
          edges.append(Edge(from: from, to: target(t.target), label: Self.label(t), kind: .on))
        }
        if let d = s.fallback {
          edges.append(Edge(from: from, to: target(d.target), label: "default", kind: .default))
        }
        if s.isTerminal {
          endUsed = true
          edges.append(Edge(from: from, to: end, label: "", kind: .ends))
        } else if s.fallback == nil
          && !s.next.contains(where: { $0.intents.isEmpty && $0.condition == nil })
        {
          personUsed = true
          let n = s.maxTries
          edges.append(
            Edge(
              from: from, to: person,
              label: "\(n) failed tr\(n == 1 ? "y" : "ies")", kind: .escalation))
        }
      }
      if endUsed { nodes.append(Node(id: end, label: "", kind: .end, flow: flow.id)) }
      if personUsed {
        nodes.append(Node(id: person, label: "person", kind: .person, flow: flow.id))
      }
    }
  }

  /// `intent a / b if cond`, `if cond`, or `any answer`.
  static func label(_ t: Transition) -> String {
    var parts: [String] = []
    if !t.intents.isEmpty { parts.append(t.intents.joined(separator: " / ")) }
    if let c = t.condition { parts.append("if \(c.source)") }
    return parts.isEmpty ? "any answer" : parts.joined(separator: " ")
  }

  /// Words Mermaid's state-diagram lexer treats as keywords at the start of a line (it is
  /// case-insensitive, and takes `default` even as the start of a longer word).
  static let reserved: Set<String> = [
    "end", "state", "note", "direction", "class", "classdef", "style", "as", "click", "start",
    "default", "left", "right", "of", "scale", "hide",
  ]

  /// A state id that is safe as a Mermaid id (and as a DOT id next to the start/end nodes).
  static func safeID(_ id: String) -> String {
    let lower = id.lowercased()
    return reserved.contains(lower) || lower.hasPrefix("default") ? "s_\(id)" : id
  }

  // MARK: Mermaid

  /// A Mermaid `stateDiagram-v2`.
  public func mermaid() -> String {
    var out = ["stateDiagram-v2"]
    let single = flows.count == 1
    func ref(_ id: String) -> String {
      guard let n = nodes.first(where: { $0.id == id }) else { return id }
      switch n.kind {
      case .start, .end: return "[*]"
      default: return id
      }
    }
    func declare(_ n: Node, indent: String) -> String? {
      switch n.kind {
      case .start, .end: return nil
      case .state:
        return n.id == n.label ? nil : "\(indent)state \"\(Self.mermaidText(n.label))\" as \(n.id)"
      case .person, .flow: return "\(indent)state \"\(Self.mermaidText(n.label))\" as \(n.id)"
      }
    }
    func line(_ e: Edge, indent: String) -> String {
      let l = e.label.isEmpty ? "" : " : " + Self.mermaidText(e.label)
      return "\(indent)\(ref(e.from)) --> \(ref(e.to))\(l)"
    }
    let flowOf = Dictionary(nodes.map { ($0.id, $0.flow) }, uniquingKeysWith: { a, _ in a })
    for flow in flows {
      let inner = single ? "  " : "    "
      if !single { out.append("  state \(Self.safeID(flow)) {") }
      for n in nodes where n.flow == flow {
        if let d = declare(n, indent: inner) { out.append(d) }
      }
      for e in edges where flowOf[e.from] == flow { out.append(line(e, indent: inner)) }
      if !single { out.append("  }") }
    }
    let handoffs = nodes.filter(\.handoff).map(\.id)
    let people = nodes.filter { $0.kind == .person }.map(\.id)
    let flowRefs = nodes.filter { $0.kind == .flow }.map(\.id)
    if !handoffs.isEmpty || !people.isEmpty || !flowRefs.isEmpty {
      out.append("  classDef handoff fill:#fde68a,stroke:#b45309")
      out.append("  classDef person fill:#fecaca,stroke:#b91c1c")
      out.append("  classDef flowref fill:#e0e7ff,stroke:#4338ca")
    }
    for (cls, ids) in [("handoff", handoffs), ("person", people), ("flowref", flowRefs)]
    where !ids.isEmpty {
      out.append("  class \(ids.joined(separator: ",")) \(cls)")
    }
    return out.joined(separator: "\n")
  }

  /// Label text Mermaid accepts: no quotes, semicolons, hashes or line breaks.
  static func mermaidText(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "\"": out += "#quot;"
      case "#": out += "#35;"
      case ";": out += "#59;"
      case ":": out += "#58;"
      case "<": out += "#60;"
      case ">": out += "#62;"
      case "\n", "\r": out += " "
      default: out.append(c)
      }
    }
    return out
  }

  // MARK: DOT

  /// A Graphviz `digraph`, one cluster per flow.
  public func dot() -> String {
    var out = [
      "digraph supportbot {",
      "  node [shape=box, style=rounded, fontname=\"Helvetica\"];",
      "  edge [fontname=\"Helvetica\", fontsize=10];",
    ]
    func attrs(_ n: Node) -> String {
      switch n.kind {
      case .start: return "[shape=point, width=0.15]"
      case .end: return "[shape=doublecircle, label=\"\", width=0.15]"
      case .person:
        return
          "[shape=octagon, style=filled, fillcolor=\"#fecaca\", label=\(Self.dotString(n.label))]"
      case .flow:
        return "[style=\"rounded,dashed\", label=\(Self.dotString(n.label))]"
      case .state:
        return n.handoff
          ? "[style=\"rounded,filled\", fillcolor=\"#fde68a\", label=\(Self.dotString(n.label))]"
          : "[label=\(Self.dotString(n.label))]"
      }
    }
    for flow in flows {
      out.append("  subgraph \(Self.dotString("cluster_\(flow)")) {")
      out.append("    label=\(Self.dotString(flow));")
      for n in nodes where n.flow == flow {
        out.append("    \(Self.dotString(n.id)) \(attrs(n));")
      }
      out.append("  }")
    }
    for e in edges {
      var a: [String] = []
      if !e.label.isEmpty { a.append("label=\(Self.dotString(e.label))") }
      switch e.kind {
      case .next: a.append("style=dashed")
      case .default: a.append("style=dotted")
      case .escalation: a.append("color=\"#b91c1c\", fontcolor=\"#b91c1c\"")
      case .handoff: a.append("color=\"#b45309\", fontcolor=\"#b45309\"")
      case .trigger, .on, .ends: break
      }
      let attr = a.isEmpty ? "" : " [" + a.joined(separator: ", ") + "]"
      out.append("  \(Self.dotString(e.from)) -> \(Self.dotString(e.to))\(attr);")
    }
    out.append("}")
    return out.joined(separator: "\n")
  }

  /// A DOT quoted string.
  static func dotString(_ s: String) -> String {
    "\""
      + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      .replacingOccurrences(of: "\n", with: "\\n") + "\""
  }
}
