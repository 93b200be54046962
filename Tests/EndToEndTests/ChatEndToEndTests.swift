import Foundation
import Testing

private let bot = ["--intents", Paths.fixtureBot, "--today", "2025-03-14"]

private func chat(_ input: String, _ extra: [String] = [], env: [String: String] = [:]) throws
  -> RunResult
{
  try run(["chat"] + bot + extra, stdin: Data(input.utf8), environment: env)
}

/// Runs chat under a pseudo-terminal (util-linux `script`), feeding `input` as typed keys.
private func chatOnTerminal(_ input: String, env: [String: String] = [:]) throws -> RunResult {
  try run(
    scriptArguments(), stdin: Data(input.utf8),
    environment: terminalEnvironment.merging(env) { $1 }, executable: "/usr/bin/script")
}

/// `script` arguments that run chat under a pseudo-terminal of its own, with `redirect`
/// appended to the shell command.
///
/// The shell `exec`s chat: dash forks a command unless told to, and a Ctrl-C typed at the
/// terminal would then kill the waiting shell (exit 130) whatever chat does with it.
private func scriptArguments(redirect: String = "") -> [String] {
  let command = ([Paths.binary, "chat"] + bot).map { "'\($0)'" }.joined(separator: " ")
  return ["-q", "-e", "-c", "exec " + command + redirect, "/dev/null"]
}
/// `script` runs `$SHELL`; pinning it makes every machine run the same shell as CI's.
private let terminalEnvironment = ["TERM": "xterm", "COLUMNS": "40", "SHELL": "/bin/sh"]

@Suite(.serialized) struct ChatEndToEndTests {
  @Test func pipedIsPlainRepliesOnly() throws {
    let r = try chat("close my account\nyes\n")
    #expect(r.status == 0)
    #expect(
      r.out == """
        Hi! I'm the Testville test bot. Ask me to close your account.
        Are you sure you want to close it?
        Done: your request is in.

        """)
    #expect(r.err.isEmpty)
  }

  @Test func commandsWhenPiped() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "chat-save-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("saved.txt").path
    let r = try chat(
      "close my account\n/why\n/state\n/save \(file)\n/reset\n/state\n/nope\n/quit\nnever read\n")
    #expect(r.status == 0)
    #expect(r.out.contains("intent: delete_account"))
    #expect(r.out.contains("state: idle → delete_account.confirm"))
    #expect(r.out.contains("flow: delete_account\nstate: confirm"))
    #expect(r.out.contains("Fresh start."))
    #expect(r.out.contains("flow: none (idle)"))
    #expect(!r.out.contains("never read"))
    #expect(!r.out.contains("Sorry"))
    #expect(r.err.contains("unknown command /nope"))
    #expect(r.err.contains("saved the conversation to"))
    let saved = try String(contentsOfFile: file, encoding: .utf8)
    #expect(saved.contains("close my account"))
    #expect(saved.contains("Are you sure you want to close it?"))
  }

  @Test func savedTranscriptReplaysGreen() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "chat-replay-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("recorded.transcript").path
    let r = try chat("close my account\nwhere is order 12\nyes\n/save \(file)\n")
    #expect(r.status == 0)
    #expect(FileManager.default.fileExists(atPath: file))
    let replay = try run(["test", "--intents", Paths.fixtureBot, file])
    #expect(replay.status == 0, "\(replay.out)\(replay.err)")
  }

  @Test func controlSequencesAreNeverEchoed() throws {
    let r = try chat("close my \u{1b}]0;pwned\u{7}account\n/why\n/\u{1b}[2Jbad\n")
    #expect(!r.out.contains("\u{1b}"))
    #expect(!r.err.contains("\u{1b}"))
    #expect(r.out.contains("message: \"close my account\""))
  }

  @Test func startsInsideAFlowWithSlots() throws {
    let r = try chat("yes\n/state\n", ["--flow", "delete_account", "--slot", "n=3"])
    #expect(r.status == 0)
    #expect(r.out.hasPrefix("Done: your request is in.\nflow: none (idle)\n"))
    #expect(r.err.contains("starting in delete_account.confirm with n=3"))
    let bad = try chat("", ["--flow", "nope"])
    #expect(bad.status == 1)
    #expect(bad.err.contains("no flow \"nope\""))
    let badSlot = try chat("", ["--slot", "novalue"])
    #expect(badSlot.status != 0)
  }

  @Test func handoffGoesToStderrWhenPiped() throws {
    let r = try chat("a person please\n")
    #expect(r.out.hasSuffix("Passing you to a person.\n"))
    #expect(r.err.contains("hand-off to a person (user_asked)"))
  }

  @Test func onATerminalThereIsAPromptColourAndWrapping() throws {
    let r = try chatOnTerminal("tell me everything\n/quit\n")
    #expect(r.status == 0, "\(r.out)")
    #expect(r.out.contains("you › "))
    #expect(r.out.contains("\u{1b}[36m"))
    // The long reply is wrapped to 40 columns.
    let plain = r.out.replacingOccurrences(
      of: "\u{1b}\\[[0-9;]*m", with: "", options: .regularExpression)
    let replyLines = plain.split(separator: "\n").map {
      $0.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    #expect(replyLines.contains { $0.contains("bot › Here is a deliberately long") })
    for line in plain.split(separator: "\r\n")
    where line.contains("deliberately") || line.hasPrefix("      ") {
      #expect(line.count <= 40, "\(line)")
    }
  }

  @Test func typingAtATerminalWithStdoutRedirected() throws {
    let file = FileManager.default.temporaryDirectory
      .appendingPathComponent("chat-out-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: file) }
    let r = try run(
      scriptArguments(redirect: " > '\(file)'"), stdin: Data("close my account\n".utf8),
      environment: terminalEnvironment, executable: "/usr/bin/script")
    #expect(r.status == 0)
    #expect(r.out.contains("you › "))  // the prompt went to the terminal (stderr)
    let out = try String(contentsOfFile: file, encoding: .utf8)
    #expect(
      out == "Hi! I'm the Testville test bot. Ask me to close your account.\n"
        + "Are you sure you want to close it?\n")
  }

  @Test func noColourWhenNO_COLORIsSet() throws {
    let r = try chatOnTerminal("close my account\n/quit\n", env: ["NO_COLOR": "1"])
    #expect(r.status == 0)
    #expect(r.out.contains("you › "))
    #expect(!r.out.contains("\u{1b}["))
  }

  @Test func ctrlDAndCtrlCLeaveCleanly() throws {
    let d = try chatOnTerminal("close my account\n\u{4}")
    #expect(d.status == 0)
    #expect(d.out.contains("Are you sure"))
    // Ctrl-C is sent only once the bot has answered: typed earlier, it would reach the
    // process before it is running chat at all.
    let c = try LiveProcess(
      scriptArguments(), environment: terminalEnvironment, executable: "/usr/bin/script")
    c.send("close my account")
    #expect(c.waitFor("Are you sure"))
    c.type("\u{3}")
    #expect(c.wait() == 0)
    let piped = try chat("close my account\n")  // EOF when piped
    #expect(piped.status == 0)
  }
}
