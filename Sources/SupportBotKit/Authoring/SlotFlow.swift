/// Which slots can hold a value in each state: a may-analysis over every flow's state graph.
///
/// A slot "can be set" on entering a state when some path from a flow start leads there and
/// sets it on the way: with the trigger intent's named captures (entities become slots when a
/// flow starts), a `set:` on a transition, or a state's `slots:` filled by an answer. Moving to
/// another flow with `flow:ID` keeps the slots; starting a flow from an intent clears them.
struct SlotFlow {
  struct NodeID: Hashable {
    let flow: String
    let state: String
  }

  /// Slots that may be set when the state is entered (what `say` and `ask` can use).
  private(set) var onEntry: [NodeID: Set<String>] = [:]

  init(bot: Bot) {
    var work: [NodeID] = []
    for flow in bot.flows {
      let seed = Self.entities(of: flow.triggers, in: bot)
      let start = NodeID(flow: flow.id, state: flow.start)
      onEntry[start, default: []].formUnion(seed)
      work.append(start)
    }
    var steps = 0
    while let node = work.popLast(), steps < 1_000_000 {
      steps += 1
      guard let flow = bot.flow(node.flow), let state = flow.state(node.state) else { continue }
      let entry = onEntry[node] ?? []
      let answered = Self.afterAnswer(state, entry)
      for (t, before) in state.next.map({ ($0, entry) })
        + (state.transitions + (state.fallback.map { [$0] } ?? [])).map({ ($0, answered) })
      {
        let carried = before.union(t.set.keys)
        let target: NodeID
        switch t.target {
        case .state(let s): target = NodeID(flow: flow.id, state: s)
        case .flow(let f):
          guard let other = bot.flow(f) else { continue }
          target = NodeID(flow: f, state: other.start)
        case .end: continue
        }
        let old = onEntry[target]
        let new = (old ?? []).union(carried)
        if old == nil || new != old {
          onEntry[target] = new
          work.append(target)
        }
      }
    }
  }

  /// Slots that may be set after the user answers in `state` (what `on`, `default` and
  /// `reprompt` see).
  static func afterAnswer(_ state: FlowState, _ entry: Set<String>) -> Set<String> {
    entry.union(state.slots.map(\.slot))
  }

  func entry(_ flow: String, _ state: String) -> Set<String>? {
    onEntry[NodeID(flow: flow, state: state)]
  }

  /// Named captures of every pattern of these intents.
  static func entities(of intents: [String], in bot: Bot) -> Set<String> {
    var out = Set<String>()
    for id in intents {
      guard let intent = bot.intent(id) else { continue }
      for p in intent.patterns { out.formUnion(p.compiled.namedGroups.map(\.name)) }
    }
    return out
  }
}
