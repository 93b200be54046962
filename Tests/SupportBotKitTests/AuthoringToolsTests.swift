import Foundation
import Testing

@testable import SupportBotKit

private func fixtureBot(_ name: String) throws -> Bot {
  try BotLoader.load(directory: AuthoringFixtures.root.appendingPathComponent(name).path)
}

@Suite("graph, patterns and explain")
struct AuthoringToolsTests {
  @Test func mermaidShowsStatesTransitionsEscalationsAndHandoffs() throws {
    let g = try FlowGraph(bot: try fixtureBot("clean"), flow: "refund")
    #expect(
      g.mermaid() == """
        stateDiagram-v2
          state "start" as s_start
          state "person" as support_person
          [*] --> s_start : refund
          s_start --> confirm : next if order is set
          s_start --> confirm : if order is set
          s_start --> support_person : 2 failed tries
          confirm --> done : yes
          confirm --> [*] : no
          confirm --> support_person : 2 failed tries
          done --> support_person : hand-off
          done --> [*]
          classDef handoff fill:#fde68a,stroke:#b45309
          classDef person fill:#fecaca,stroke:#b91c1c
          classDef flowref fill:#e0e7ff,stroke:#4338ca
          class done handoff
          class support_person person
        """)
  }

  /// The README's diagram is `supportbot graph --flow recover_account` on the shipped bot.
  @Test func readmeEmbedsTheCurrentDiagram() throws {
    let root = AuthoringFixtures.root.deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let readme = try String(
      contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let section = try #require(
      readme.components(separatedBy: "<!-- section:authoring -->").last?
        .components(separatedBy: "<!-- /section:authoring -->").first)
    let block = try #require(
      section.components(separatedBy: "```mermaid\n").dropFirst().first?
        .components(separatedBy: "```").first)
    let bot = try BotLoader.load(directory: root.appendingPathComponent("Intents").path)
    let current = try FlowGraph(bot: bot, flow: "recover_account").mermaid() + "\n"
    #expect(
      block == current,
      "README's diagram is stale: replace it with `supportbot graph --flow recover_account`")
  }

  @Test func dotDrawsTheSameEdges() throws {
    let g = try FlowGraph(bot: try fixtureBot("clean"))
    let dot = g.dot()
    #expect(dot.hasPrefix("digraph supportbot {"))
    #expect(dot.contains(#""confirm" -> "done" [label="yes"];"#))
    #expect(dot.contains(#""s_start" -> "confirm" [label="next if order is set", style=dashed];"#))
    #expect(dot.contains(#""done" -> "support_person" [label="hand-off""#))
    #expect(dot.hasSuffix("}"))
  }

  @Test func defaultsAutomaticStepsAndLoopsAreLabelled() throws {
    let g = try FlowGraph(bot: try fixtureBot("flow_rules"), flow: "refund")
    let m = g.mermaid()
    #expect(m.contains("details --> details : default"))
    #expect(m.contains("loop_a --> loop_b : next"))
    #expect(m.contains("thanks --> stuck : next yes"))
    // A state with a default never escalates.
    #expect(!m.contains("details --> support_person"))
  }

  /// Mermaid's lexer takes `default` even as the start of an id, and `scale ` as a keyword.
  @Test func mermaidKeywordsAreNeverBareIds() throws {
    let text = """
      messages: {welcome: [Hi], fallback: [Eh], fallback_handoff: [Person?], escalate: [On],
        sensitive_data: [No], resume: ["{question}"]}
      intents:
        - {id: a, patterns: ['\\ba\\b']}
      flows:
        - id: a
          states:
            default_reply: {say: "A.", next: scale}
            scale: {say: "B."}
      """
    let bot = try BotLoader.load(files: [("kw.yaml", text)])
    let m = try FlowGraph(bot: bot, flow: "a").mermaid()
    #expect(m.contains("  state \"default_reply\" as s_default_reply"))
    #expect(m.contains("  s_default_reply --> s_scale : next"))
    #expect(
      !m.split(separator: "\n").contains { $0.hasPrefix("  default") || $0.hasPrefix("  scale ") })
  }

  @Test func severalFlowsAreCompositeStatesWithTheirOwnIds() throws {
    let text = """
      messages: {welcome: [Hi], fallback: [Eh], fallback_handoff: [Person?], escalate: [On],
        sensitive_data: [No], resume: ["{question}"]}
      intents:
        - {id: a, patterns: ['\\ba\\b']}
        - {id: b, patterns: ['\\bb\\b']}
      flows:
        - id: a
          states:
            end: {say: "A.", next: "flow:b"}
        - id: b
          states:
            one: {ask: "B?", on: [{intent: a, to: end}]}
      """
    let bot = try BotLoader.load(files: [("two.yaml", text)])
    let m = try FlowGraph(bot: bot).mermaid()
    #expect(m.contains("  state a {"))
    #expect(m.contains("    a__end --> a__flow_b : next"))
    #expect(m.contains("    state \"flow b\" as a__flow_b"))
    #expect(m.contains("    b__one --> [*] : a"))
    #expect(throws: FlowGraph.GraphError.self) { try FlowGraph(bot: bot, flow: "nope") }
  }

  @Test func patternsComeInMatcherOrderWithTheirOptions() throws {
    let bot = try fixtureBot("examples")
    let o = PatternExport.object(bot)
    let patterns = try #require(o["patterns"] as? [[String: Any]])
    #expect(
      patterns.map { "\($0["intent"]!) \($0["kind"]!) \($0["index"]!)" } == [
        "refund pattern 0", "refund pattern 1", "refund exclusion 0", "complaint pattern 0",
        "order_status pattern 0",
      ])
    #expect(patterns.map { $0["order"] as? Int } == [0, 1, 2, 3, 4])
    #expect(patterns[0]["options"] as? [String] == ["utf", "ucp", "caseless"])
    #expect(patterns[2]["exclusion"] as? Bool == true)
    #expect(patterns[3]["priority"] as? Int == 5)
    #expect((patterns[0]["location"] as? String)?.hasSuffix("examples/bot.yaml:11:16") == true)
    let json = PatternExport.json(bot)
    #expect(json.hasPrefix("{\"normalization\":"))
    let back = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    #expect((back?["patterns"] as? [Any])?.count == 5)
  }

  @Test func explainShowsCapturesAndEveryHit() throws {
    let bot = try fixtureBot("slots")
    let cls = Matcher(bot: bot).classify("refund for order 12")
    let text = ExplainFormatter.text(cls)
    #expect(text.contains("      captures: order=\"12\""))
    let o = ExplainFormatter.object(cls)
    let c = try #require((o["candidates"] as? [[String: Any]])?.first)
    #expect((c["hits"] as? [[String: Any]])?.count == 1)
    #expect(c["captures"] as? [String: String] == ["order": "12"])
  }

  @Test func explainSaysWhyEachRunnerUpLoses() throws {
    let bot = try fixtureBot("examples")
    let cls = Matcher(bot: bot).classify("terrible service, I want a refund")
    #expect(
      ExplainFormatter.text(cls).contains(
        "      loses: complaint has higher priority than refund (5 > 0)"))
    let c = ExplainFormatter.object(cls)["candidates"] as? [[String: Any]]
    #expect(
      c?.map { $0["loses_because"] as? String } == [
        nil, "complaint has higher priority than refund (5 > 0)",
      ])
  }

  @Test func explainListsOtherPatternsThatMatched() throws {
    let bot = try fixtureBot("examples")
    let cls = Matcher(bot: bot).classify("refund my money back")
    #expect(ExplainFormatter.text(cls).contains("      also matched "))
  }
}
