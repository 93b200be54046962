import Foundation
import Testing

@testable import SupportBotKit

/// The bad bots under Tests/Fixtures/authoring, each marked with the findings it must give.
enum AuthoringFixtures {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/authoring")

  static let names = [
    "answers", "backtracking", "clean", "examples", "flow_rules", "load_errors", "slots", "stuck",
    "unreachable", "unused",
  ]

  /// An expected finding: `# ^ severity: fragment` under the line it points into.
  struct Mark: CustomStringConvertible {
    let file: String
    let line: Int
    let column: Int
    let severity: String
    let fragment: String
    var description: String { "\(file):\(line):\(column): \(severity): …\(fragment)…" }
  }

  static func marks(in dir: String) -> [Mark] {
    var out: [Mark] = []
    for path in BotLoader.yamlFiles(in: dir) {
      guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
      var lastCode = 0
      for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = Array(raw.unicodeScalars)
        if let caret = line.firstIndex(of: "^"), line[..<caret].contains("#"),
          line[..<caret].allSatisfy({ $0 == " " || $0 == "#" })
        {
          let rest = String(String.UnicodeScalarView(line[(caret + 1)...]))
            .trimmingCharacters(in: .whitespaces)
          guard let colon = rest.firstIndex(of: ":") else { continue }
          out.append(
            Mark(
              file: path, line: lastCode, column: caret + 1,
              severity: String(rest[..<colon]),
              fragment: rest[rest.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        } else {
          lastCode = i + 1
        }
      }
    }
    return out
  }

  /// Findings not marked, and marks without a finding, as readable lines (empty when all match).
  static func mismatches(_ name: String) -> [String] {
    let dir = root.appendingPathComponent(name).path
    var diagnostics = Checker.check(directory: dir).diagnostics
    var problems: [String] = []
    for m in marks(in: dir) {
      if let i = diagnostics.firstIndex(where: {
        $0.location.file == m.file && $0.location.line == m.line && $0.location.column == m.column
          && $0.severity.rawValue == m.severity && $0.message.contains(m.fragment)
      }) {
        diagnostics.remove(at: i)
      } else {
        problems.append("expected, not found: \(m)")
      }
    }
    problems += diagnostics.map { "found, not expected: \($0)" }
    return problems
  }
}

@Suite("check on bad bots")
struct AuthoringCheckTests {
  @Test(arguments: AuthoringFixtures.names)
  func fixtureFindingsMatchTheirMarks(_ name: String) {
    #expect(AuthoringFixtures.mismatches(name) == [], "fixture \(name)")
  }

  @Test func everyFixtureDirectoryIsListed() throws {
    let dirs = try FileManager.default.contentsOfDirectory(atPath: AuthoringFixtures.root.path)
      .filter { !$0.hasSuffix(".md") }.sorted()
    #expect(dirs == AuthoringFixtures.names)
  }

  @Test func everyBadFixtureHasMarks() {
    for name in AuthoringFixtures.names where name != "clean" {
      let dir = AuthoringFixtures.root.appendingPathComponent(name).path
      #expect(!AuthoringFixtures.marks(in: dir).isEmpty, "fixture \(name) has no marks")
    }
  }

  @Test func exitStatusFollowsErrorsAndStrict() {
    let dir = { AuthoringFixtures.root.appendingPathComponent($0).path }
    #expect(Checker.check(directory: dir("clean")).strict().passed)
    let warnings = Checker.check(directory: dir("unreachable"))
    #expect(warnings.passed)
    #expect(!warnings.strict().passed)
    #expect(warnings.strict().diagnostics.allSatisfy { $0.severity == .error })
    #expect(!Checker.check(directory: dir("load_errors")).passed)
    #expect(Checker.check(directory: dir("load_errors")).bot == nil)
  }

  @Test func findingsAreSortedByPosition() {
    let d = Checker.check(
      directory: AuthoringFixtures.root.appendingPathComponent("flow_rules").path
    )
    .diagnostics
    #expect(d.map(\.location) == d.map(\.location).sorted())
  }

  /// The issue's bar: the bot that ships passes `check --strict`.
  @Test func shippedBotPassesStrict() {
    let shipped = AuthoringFixtures.root.deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Intents").path
    let result = Checker.check(directory: shipped).strict()
    #expect(result.bot != nil)
    #expect(result.diagnostics.filter { $0.severity == .error }.map(\.description) == [])
  }

  /// A state's own `slots:` fill only after its question, unless the flow's first message can
  /// answer it on the way in; a state reached only by `default` cannot ask with them.
  @Test func askCannotUseItsOwnSlotWhenOnlyReachedByDefault() throws {
    let text = """
      messages: {welcome: [Hi], fallback: [Eh], fallback_handoff: [Person?], escalate: [On],
        sensitive_data: [No], resume: ["{question}"]}
      intents:
        - {id: refund, patterns: ['\\brefund\\b'], examples: [refund]}
        - {id: yes, contextual: true, patterns: ['^yes\\b'], examples: ['yes']}
      flows:
        - id: refund
          states:
            start:
              ask: "Is it one order?"
              on: [{intent: yes, to: done}]
              default: again
            again:
              ask: "Which order, {order}?"
              slots: [{name: order, pattern: '(\\d+)'}]
              on: [{if: order is set, to: done}]
            done: {say: "Done."}
      """
    let bot = try BotLoader.load(files: [("mem.yaml", text)])
    let errors = Checker.check(bot, texts: ["mem.yaml": text]).filter { $0.severity == .error }
    #expect(errors.map(\.location.description) == ["mem.yaml:14:28"])
    #expect(errors.first?.message.contains("sets slot 'order' before asking") == true)
  }

  /// Mangled fixture bots that still load are checked without crashing.
  @Test func mangledBotsAreCheckedWithoutCrashing() throws {
    var seed: UInt64 = 0xc0ffee
    func next(_ n: Int) -> Int {
      seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int(truncatingIfNeeded: seed >> 33) % max(n, 1)
    }
    var checked = 0
    for name in AuthoringFixtures.names {
      let path = AuthoringFixtures.root.appendingPathComponent("\(name)/bot.yaml").path
      let original = Array(try String(contentsOfFile: path, encoding: .utf8).utf8)
      for _ in 0..<40 {
        var bytes = original
        for _ in 0..<(1 + next(4)) where bytes.count > 1 {
          let i = next(bytes.count)
          switch next(3) {
          case 0: bytes.remove(at: i)
          case 1: bytes.insert(bytes[next(bytes.count)], at: i)
          default:
            let noise = Array("(){}[]:-|*+?\\ \n'\"a#".utf8)
            bytes[i] = noise[next(noise.count)]
          }
        }
        guard let text = String(validating: bytes, as: UTF8.self),
          let bot = try? BotLoader.load(files: [("m.yaml", text)])
        else { continue }
        _ = Checker.check(bot, texts: ["m.yaml": text])
        checked += 1
      }
    }
    #expect(checked > 40)
  }

  /// A state whose `next` conditions cover every case never waits; one with gaps can stall.
  @Test(arguments: [("days <= 30", false), ("days < 10", true)])
  func automaticBranchesThatCoverEveryCaseNeverWait(_ second: String, stalls: Bool) throws {
    let text = """
      messages: {welcome: [Hi], fallback: [Eh], fallback_handoff: [Person?], escalate: [On],
        sensitive_data: [No], resume: ["{question}"]}
      intents:
        - {id: late, patterns: ['\\blate\\b'], examples: [late]}
        - {id: cancel, patterns: ['^cancel\\b'], examples: [cancel]}
      responses:
        cancel: {say: [Stopped.], behavior: cancel}
      flows:
        - id: late
          states:
            when:
              ask: "How many days ago?"
              slots: [{name: days, extract: number}]
              on: [{if: days is set, to: route}]
            route:
              next:
                - {if: days > 30, to: too_late}
                - {if: \(second), to: in_time}
            too_late: {say: "Too late."}
            in_time: {say: "In time."}
      """
    let bot = try BotLoader.load(files: [("mem.yaml", text)])
    let d = Checker.check(bot, texts: ["mem.yaml": text])
    #expect(d.contains { $0.message.contains("state 'route' of flow 'late' waits") } == stalls)
    #expect(d.filter { !$0.message.contains("state 'route'") }.isEmpty)
  }

  /// Slots carry over into another flow by `flow:ID`, not into flows started afresh.
  @Test func slotsFollowFlowToFlowTransitions() throws {
    let text = """
      messages: {welcome: [Hi], fallback: [Eh], fallback_handoff: [Person?], escalate: [On],
        sensitive_data: [No], resume: ["{question}"]}
      intents:
        - {id: a, patterns: ['\\balpha\\b'], examples: [alpha]}
        - {id: b, patterns: ['\\bbeta\\b'], examples: [beta]}
        - {id: c, patterns: ['\\bgamma\\b'], examples: [gamma]}
      flows:
        - id: a
          states:
            go: {say: "A.", next: [{to: "flow:b", set: {colour: red}}]}
        - id: b
          states:
            show: {say: "Colour: {colour}."}
        - id: c
          states:
            show: {say: "Colour: {colour}."}
      """
    let bot = try BotLoader.load(files: [("mem.yaml", text)])
    let d = Checker.check(bot, texts: ["mem.yaml": text])
    #expect(d.map(\.location.line) == [16])
    #expect(d.first?.message.contains("no path to 'show' in flow 'c' sets slot 'colour'") == true)
  }

  @Test func checksBotsLoadedFromMemory() throws {
    let text = """
      messages:
        welcome: ["Hi."]
        fallback: ["Sorry?"]
        fallback_handoff: ["Person?"]
        escalate: ["Passing you on."]
        sensitive_data: ["No secrets."]
        resume: ["Back: {question}"]
      intents:
        - id: shout
          patterns: ['^(a+)+!']
          examples: [aa!]
      responses:
        shout: ["Easy."]
      """
    let bot = try BotLoader.load(files: [("mem.yaml", text)])
    let d = Checker.check(bot, texts: ["mem.yaml": text])
    #expect(
      d.map { String($0.description.prefix(40)) } == ["mem.yaml:10:18: warning: pattern may bac"])
  }
}
