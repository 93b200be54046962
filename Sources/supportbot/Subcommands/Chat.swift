import ArgumentParser
import Foundation
import SupportBotKit

#if canImport(Glibc)
  import Glibc
#endif

/// Whether Ctrl-C should print a newline before leaving (only on a terminal).
nonisolated(unsafe) private var interruptNewline: sig_atomic_t = 0

struct Chat: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Talk to the bot in the terminal (type /help for commands).",
    discussion: """
      On a terminal: a prompt, coloured replies (unless NO_COLOR is set) wrapped to the \
      window. Piped: plain lines in, the bot's replies out, nothing else on stdout.
      """)

  @OptionGroup var bot: BotOptions

  @Option(
    help: ArgumentHelp("Start inside this flow (at its start state, or --state).", valueName: "id"))
  var flow: String?

  @Option(help: ArgumentHelp("Start at this state of --flow.", valueName: "id"))
  var state: String?

  @Option(
    name: .customLong("slot"),
    help: ArgumentHelp(
      "Set a slot before the first message (repeatable; digits make a number).",
      valueName: "name=value"))
  var slots: [String] = []

  @Option(
    name: .customLong("today"),
    help: ArgumentHelp(
      "Date the conversation happens on (default: today, UTC).", valueName: "yyyy-mm-dd"))
  var date: String?

  func validate() throws {
    for s in slots where ChatSession.parseSlot(s) == nil {
      throw ValidationError("--slot expects NAME=VALUE, got \"\(s)\"")
    }
    if let date, CivilDate(iso: date) == nil {
      throw ValidationError("--today must be a date like 2025-03-14")
    }
  }

  func run() throws {
    // Ctrl-C leaves cleanly (exit 0), like Ctrl-D, from the start: also while the bot loads.
    signal(SIGINT) { _ in
      if interruptNewline != 0 { _ = write(1, "\n", 1) }
      _exit(0)
    }
    ServeLoop.unblock(SIGINT)
    let loaded = try bot.loadBot()
    var start = ChatSession.Start(
      platform: bot.platform, today: date.flatMap { CivilDate(iso: $0) } ?? today(),
      flow: flow, state: state)
    for s in slots {
      if let (k, v) = ChatSession.parseSlot(s) { start.slots[k] = v }
    }
    let chat: ChatSession
    do {
      chat = try ChatSession(engine: Engine(bot: loaded, buildInBackground: true), start: start)
    } catch {
      stderr("supportbot chat: \(error.description)")
      throw ExitCode(1)
    }
    let terminal = Terminal()
    if terminal.interactive {
      interruptNewline = 1
      print(
        terminal.paint("supportbot chat: type /help for commands, /quit or Ctrl-D to leave", .info))
    }
    terminal.show(chat.open())
    while true {
      terminal.prompt()
      guard let line = readLine(strippingNewline: true) else {
        if terminal.interactive { print("") }
        return
      }
      let outputs = chat.handle(line)
      if outputs.contains(.quit) { return }
      terminal.show(outputs)
    }
  }
}

/// How chat writes to this terminal (or pipe).
private struct Terminal {
  /// Both ends are a terminal: prompt and decorate.
  let interactive: Bool
  /// Typing at a terminal with stdout redirected: prompt on stderr, keep stdout plain.
  let promptOnStderr: Bool
  let colour: Bool

  init() {
    let outTTY = isatty(1) != 0
    let inTTY = isatty(0) != 0
    interactive = outTTY && inTTY
    promptOnStderr = inTTY && !outTTY && isatty(2) != 0
    let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
    colour = outTTY && !noColor
  }

  /// The window's width now (it may have been resized), else `COLUMNS`, else 80.
  var width: Int {
    var size = winsize()
    if interactive, ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
      return Int(size.ws_col)
    }
    if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap({ Int($0) }), c > 0 {
      return c
    }
    return 80
  }

  func paint(_ s: String, _ style: TerminalText.Style) -> String {
    TerminalText.paint(s, style, colour: colour)
  }

  func prompt() {
    if interactive {
      FileHandle.standardOutput.write(Data(paint("you › ", .user).utf8))
    } else if promptOnStderr {
      FileHandle.standardError.write(Data("you › ".utf8))
    }
  }

  func show(_ outputs: [ChatSession.Output]) {
    for o in outputs {
      switch o {
      case .replies(let replies):
        for r in replies {
          let clean = TerminalText.sanitize(r)
          if interactive {
            let lines = TerminalText.wrap(
              clean, width: width - 1, firstPrefix: "bot › ", prefix: "      ")
            for (n, l) in lines.enumerated() {
              if n == 0 {
                print(paint("bot ›", .bot) + " " + paint(String(l.dropFirst(6)), .bot))
              } else {
                print(paint(l, .bot))
              }
            }
          } else {
            print(clean)
          }
        }
      case .action(let a):
        let clean = TerminalText.sanitize(a)
        if interactive { print(paint("      [\(clean)]", .action)) } else { stderr("[\(clean)]") }
      case .info(let text):
        let clean = TerminalText.sanitize(text)
        print(interactive ? paint(clean, .info) : clean)
      case .note(let text):
        let clean = TerminalText.sanitize(text)
        if interactive { print(paint(clean, .info)) } else { stderr(clean) }
      case .error(let text):
        let clean = TerminalText.sanitize(text)
        if interactive { print(paint(clean, .error)) } else { stderr(clean) }
      case .save(let path, let transcript):
        let shown = TerminalText.sanitize(path, keepNewlines: false)
        do {
          try transcript.write(toFile: path, atomically: true, encoding: .utf8)
          let note = "saved the conversation to \(shown)"
          if interactive { print(paint(note, .info)) } else { stderr(note) }
        } catch {
          let note = "could not write \(shown): \(error.localizedDescription)"
          if interactive { print(paint(note, .error)) } else { stderr(note) }
        }
      case .quit:
        break
      }
    }
    fflush(nil)  // piped output is block-buffered: keep every turn's replies, even on Ctrl-C
  }
}
