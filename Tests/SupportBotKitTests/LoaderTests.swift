import Testing

@testable import SupportBotKit

/// The system messages every bot needs, so each test can focus on one file.
let baseBotFile = (
  path: "bot/base.yaml",
  text: """
  messages:
    welcome: "Hi"
    fallback: "Sorry?"
    fallback_handoff: "Want a person?"
    escalate: "Passing you on."
    sensitive_data: "Don't share secrets."
    resume: "Back to {flow_title}: {question}"
  """
)

func load(_ text: String, path: String = "bot/x.yaml") throws(BotLoadError) -> Bot {
  try BotLoader.load(files: [baseBotFile, (path, text)], directory: "bot")
}

/// The diagnostics a bot file produces, as `FILE:LINE:COL: error: message` strings.
func diagnostics(_ text: String) -> [String] {
  do {
    _ = try load(text)
    return []
  } catch {
    return error.diagnostics.map(\.description)
  }
}

@Suite struct LoaderTests {
  @Test func loadsAValidIntent() throws {
    let bot = try load(
      """
      intents:
        - id: delete_account
          description: Close the account.
          priority: 5
          patterns:
            - '\\bdelete\\b.*\\baccount\\b'
          exclude: ['\\bcart\\b']
          examples: [delete my account]
          counter_examples: [delete an item from my cart]
      """)
    let intent = try #require(bot.intent("delete_account"))
    #expect(intent.priority == 5)
    #expect(intent.patterns.count == 1)
    #expect(intent.exclusions.count == 1)
    #expect(intent.patterns[0].location.description == "bot/x.yaml:6:9")
    #expect(intent.examples[0].text == "delete my account")
  }

  @Test func patternErrorPointsInsideThePattern() {
    // Plain scalar: column of the `(` that is never closed... PCRE2 reports the end.
    let plain = diagnostics(
      """
      intents:
        - id: a
          patterns:
            - delete (account
      """)
    #expect(plain.count == 1)
    #expect(
      plain[0].hasPrefix("bot/x.yaml:4:24: error: pattern error: missing closing parenthesis"))

    // Single-quoted scalar with an escaped quote before the error.
    let quoted = diagnostics(
      """
      intents:
        - id: a
          patterns:
            - 'it''s [z-a]'
      """)
    #expect(quoted.count == 1)
    #expect(quoted[0].hasPrefix("bot/x.yaml:4:19: error: pattern error: range out of order"))

    // Literal block scalar.
    let block = diagnostics(
      """
      intents:
        - id: a
          patterns:
            - |-
              ab+*c
      """)
    #expect(block.count == 1)
    #expect(block[0].hasPrefix("bot/x.yaml:5:12: error: pattern error:"))
  }

  @Test func yamlSyntaxErrorHasPosition() {
    let d = diagnostics(
      """
      intents:
        - id: a
          patterns: [unclosed
      """)
    #expect(d.count == 1)
    #expect(d[0].hasPrefix("bot/x.yaml:"))
    #expect(d[0].contains("YAML syntax error"))
  }

  @Test func unknownKeysSuggestTheIntendedOne() {
    let d = diagnostics(
      """
      intents:
        - id: a
          paterns: [x]
      """)
    #expect(
      d.contains {
        $0.hasPrefix(
          "bot/x.yaml:3:5: error: unknown key 'paterns' in an intent (did you mean 'patterns'?)")
      })
  }

  @Test func wrongTypesAndMissingFields() {
    #expect(
      diagnostics("intents:\n  - id: a\n    priority: high\n    patterns: [x]\n")
        == ["bot/x.yaml:3:15: error: priority must be a whole number"])
    #expect(
      diagnostics("intents:\n  - description: no id\n    patterns: [x]\n")
        == ["bot/x.yaml:2:5: error: an intent needs an `id`"])
    #expect(
      diagnostics("intents:\n  - id: Bad-Id\n    patterns: [x]\n")
        == ["bot/x.yaml:2:9: error: intent id 'Bad-Id' must be a lower_snake_case identifier"])
    #expect(
      diagnostics("intents: 3\n") == ["bot/x.yaml:1:10: error: intents must be a list"])
    #expect(
      diagnostics("intents:\n  - id: a\n    patterns: ['']\n")
        == ["bot/x.yaml:3:16: error: empty pattern (it would match every message)"])
  }

  @Test func duplicateIntentIsReportedWithBothPlaces() {
    let d = diagnostics("intents:\n  - id: a\n    patterns: [x]\n  - id: a\n    patterns: [y]\n")
    #expect(d == ["bot/x.yaml:4:5: error: intent 'a' is already defined at bot/x.yaml:2:5"])
  }

  @Test func unknownTopLevelSection() {
    let d = diagnostics("intent:\n  - id: a\n")
    #expect(d.count == 1)
    #expect(
      d[0].hasPrefix(
        "bot/x.yaml:1:1: error: unknown key 'intent' in the file (did you mean 'intents'?)"))
  }

  @Test func flowReferencesAreChecked() {
    let d = diagnostics(
      """
      intents:
        - id: go
          patterns: [go]
      flows:
        - id: f
          triggers: [go, nope]
          states:
            s1:
              ask: "Which?"
              on:
                - intent: go
                  to: missing
                - if: "days >"
                  to: s1
            s2:
              say: "Hi {who}"
      """)
    #expect(d.contains("bot/x.yaml:6:20: error: unknown intent 'nope'"))
    #expect(
      d.contains("bot/x.yaml:11:13: error: state 's1' goes to unknown state 'missing' in flow 'f'"))
    #expect(
      d.contains {
        $0.hasPrefix("bot/x.yaml:13:")
          && $0.hasSuffix("error: bad condition: missing value after `>`")
      })
    #expect(
      d.contains(
        "bot/x.yaml:16:14: error: reply uses `{who}`, which is no setting, slot or built-in name"))
  }

  @Test func missingSystemMessagesAreReported() {
    do {
      _ = try BotLoader.load(files: [("b/x.yaml", "settings:\n  platform: X\n")], directory: "b")
      Issue.record("expected errors")
    } catch {
      let text = error.diagnostics.map(\.description)
      #expect(
        text.contains("b:1:1: error: the bot defines no `welcome` message (under `messages:`)"))
    }
  }

  @Test func notUTF8AndMissingDirectory() throws {
    do {
      _ = try BotLoader.load(directory: "/nonexistent/bot")
      Issue.record("expected an error")
    } catch {
      #expect(error.description == "/nonexistent/bot:1:1: error: no such bot directory")
    }
  }

  @Test func substitutionsAreLoaded() throws {
    let bot = try load("substitutions:\n  pls: please\n  acct: account\n  log in: login\n")
    #expect(bot.normalizer.normalize("pls close my ACCT") == "please close my account")
    #expect(bot.normalizer.normalize("I can't log  in") == "I can't login")
  }

  @Test func theShippedBotLoads() throws {
    let bot = try BotLoader.load(directory: shippedBotDirectory)
    #expect(!bot.intents.isEmpty)
    #expect(bot.settings["platform"] == "Alibaba")
  }
}

/// The repository's `Intents/` directory.
let shippedBotDirectory: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)  // Tests/SupportBotKitTests/LoaderTests.swift
  return parts.joined(separator: "/") + "/Intents"
}()

@Suite struct FragmentTests {
  @Test func patternsUseFragmentsFromAnyFile() throws {
    let bot = try BotLoader.load(
      files: [
        baseBotFile,
        ("bot/a.yaml", "intents:\n  - id: yes\n    patterns: ['{{lead}}{{yes_word}}\\W*$']\n"),
        (
          "bot/b.yaml",
          "fragments:\n  yes_word: 'yes|yeah|{{sure}}'\n  sure: 'sure'\n  lead: '^\\W*'\n"
        ),
      ], directory: "bot")
    let p = try #require(bot.intent("yes")?.patterns.first)
    #expect(p.written == "{{lead}}{{yes_word}}\\W*$")
    #expect(p.source == "(?:^\\W*)(?:yes|yeah|(?:sure))\\W*$")
    #expect(Matcher(bot: bot).classify("  sure!").intent == "yes")
  }

  @Test func errorsPointAtTheWrittenText() {
    // Unknown fragment: at its `{{`.
    #expect(
      diagnostics("intents:\n  - id: a\n    patterns: ['ab{{nope}}']\n")
        == ["bot/x.yaml:3:19: error: unknown fragment 'nope'"])
    // An error after an expansion maps back past it.
    #expect(
      diagnostics("fragments:\n  f: 'abc'\nintents:\n  - id: a\n    patterns: ['{{f}}(x']\n")
        == ["bot/x.yaml:5:24: error: pattern error: missing closing parenthesis (PCRE2 error 114)"])
    // An error inside a fragment is reported once, in the fragment.
    #expect(
      diagnostics("fragments:\n  f: 'a(b'\nintents:\n  - id: a\n    patterns: ['{{f}}x']\n")
        == [
          "bot/x.yaml:2:10: error: pattern error in fragment 'f': missing closing parenthesis (PCRE2 error 114)"
        ])
    // Cycles.
    let cycle = diagnostics("fragments:\n  f: '{{g}}'\n  g: '{{f}}'\n")
    #expect(cycle.count == 1)
    #expect(cycle.allSatisfy { $0.contains("cycle") })
    // Braces that are not references stay literal.
    #expect(diagnostics("intents:\n  - id: a\n    patterns: ['a{2}', 'x{{ y }}']\n").isEmpty)
  }
}

@Suite struct DefaultTransitionTests {
  @Test func defaultIsASingleTransition() {
    let d = diagnostics(
      """
      intents:
        - id: go
          patterns: [go]
      flows:
        - id: go
          states:
            s1:
              ask: "Which?"
              slots: [{name: n, extract: number}]
              on: [{intent: go, to: end}]
              default: {if: "n > 1 or n < 0", to: end}
      """)
    #expect(
      d == [
        "bot/x.yaml:11:18: error: `default` is one transition (no list, no `or` in its condition)"
      ])
  }
}

@Suite struct PlaceholderTests {
  @Test func namedCapturesOfIntentsAreKnownSlotNames() {
    let d = diagnostics(
      """
      intents:
        - id: change
          patterns: ['change my (?<detail>email|phone)']
      flows:
        - id: change
          states:
            s1:
              say: "Let's change your {detail}."
      """)
    #expect(d.isEmpty)
  }
}
