import Foundation
import Testing

@testable import SupportBotKit

/// The user lines of every shipped transcript, one conversation per file.
private func transcriptConversations() throws -> [[String]] {
  let dir = URL(fileURLWithPath: ShippedBot.directory).deletingLastPathComponent()
    .appendingPathComponent("Transcripts")
  let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    .filter { $0.hasSuffix(".convo") }.sorted()
  return try files.map { name in
    let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
    return text.split(separator: "\n").filter { $0.hasPrefix("> ") }.map { String($0.dropFirst(2)) }
  }
}

@Suite struct HotPathTests {
  @Test("A step without the readable trace gives the same session, replies and actions")
  func stepWithoutTrace() throws {
    let engine = Engine(bot: try ShippedBot.bot())
    let conversations = try transcriptConversations()
    #expect(conversations.count > 50)
    for lines in conversations {
      var full = SessionState()
      var lean = SessionState()
      for line in lines {
        let turn = Turn(.text(line), today: dialogueToday)
        let a = engine.step(full, turn)
        let b = engine.step(lean, turn, trace: false)
        #expect(a.state == b.state, "\(line)")
        #expect(a.replies == b.replies, "\(line)")
        #expect(a.actions == b.actions, "\(line)")
        #expect(a.intent == b.intent, "\(line)")
        #expect(a.entities == b.entities, "\(line)")
        #expect(a.trace.text == b.trace.text)
        #expect(a.trace.redacted == b.trace.redacted)
        #expect(b.trace.steps.isEmpty && b.trace.entered.isEmpty && b.trace.transitions.isEmpty)
        full = a.state
        lean = b.state
      }
    }
  }

  @Test(
    "Digits beyond ASCII still count as digits for the redactor",
    arguments: [
      ("\u{661}\u{662}\u{663}\u{664}\u{665}\u{666}", Redactor.Kind.oneTimeCode),
      ("my code is \u{FF11}\u{FF12}\u{FF13}\u{FF14}", .oneTimeCode),
      ("PASSWORD: hunter22", .password),
      ("Pw=abc123", .password),
    ])
  func redactorClues(text: String, kind: Redactor.Kind) {
    let (out, kinds) = Redactor().redact(text)
    #expect(kinds == [kind])
    #expect(out.contains(Redactor.marker))
  }

  @Test("Text without enough digits or a password word is returned as it is")
  func redactorNothingToDo() {
    let text = "I want to close my account, it has 123 orders"
    let (out, kinds) = Redactor().redact(text)
    #expect(out == text)
    #expect(kinds.isEmpty)
  }

  @Test(
    "Words are split the same way for ASCII and other text",
    arguments: [
      ("Hello-World/2024 it's OK", ["hello", "-", "world", "/", "2024", "it", "s", "ok"]),
      ("  10 DAYS ago\r\n", ["10", "days", "ago"]),
      ("éte 3 jours", ["éte", "3", "jours"]),
      ("", []),
    ])
  func words(text: String, expected: [String]) {
    #expect(SlotExtractors.words(text) == expected)
  }
}
