import ArgumentParser
import SupportBotKit

struct Graph: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Draw the flows as a state diagram (Mermaid or Graphviz DOT).",
    discussion: """
      Arrows carry the intents or conditions that take them; `next` steps are automatic, \
      `default` takes answers that fit nothing, and states that wait for an answer escalate \
      to a person after max_tries failed answers.
      """)

  enum Format: String, ExpressibleByArgument, CaseIterable {
    case mermaid, dot
  }

  @OptionGroup var bot: BotOptions

  @Option(help: "Draw only this flow.")
  var flow: String?

  @Option(help: "mermaid or dot.")
  var format: Format = .mermaid

  func run() throws {
    let loaded = try bot.loadBot()
    let graph: FlowGraph
    do {
      graph = try FlowGraph(bot: loaded, flow: flow)
    } catch {
      stderr("error: \(error)")
      throw ExitCode(1)
    }
    switch format {
    case .mermaid: print(graph.mermaid())
    case .dot: print(graph.dot())
    }
  }
}
