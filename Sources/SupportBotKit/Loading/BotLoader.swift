import Foundation
import PCRE2
import Yams

/// Loads a bot from a directory of YAML files (see the README's "Writing a bot").
///
/// Every `*.yaml`/`*.yml` file under the directory is read in path order; each may hold any
/// of the sections `settings`, `dialogue`, `messages`, `substitutions`, `intents`, `flows`,
/// `responses`. All problems are collected and thrown together as a ``BotLoadError``.
public enum BotLoader {
  static let sections = [
    "fragments", "settings", "dialogue", "messages", "substitutions", "intents", "flows",
    "responses",
  ]

  /// Loads every YAML file under `directory`.
  public static func load(directory: String) throws(BotLoadError) -> Bot {
    let dirLocation = SourceLocation(file: directory, line: 1, column: 1)
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue
    else {
      throw BotLoadError([Diagnostic(.error, "no such bot directory", at: dirLocation)])
    }
    let paths = yamlFiles(in: directory)
    guard !paths.isEmpty else {
      throw BotLoadError([
        Diagnostic(.error, "no .yaml files found in the bot directory", at: dirLocation)
      ])
    }
    var files: [(path: String, text: String)] = []
    var diagnostics: [Diagnostic] = []
    for path in paths {
      guard let data = FileManager.default.contents(atPath: path) else {
        diagnostics.append(
          Diagnostic(.error, "cannot read file", at: SourceLocation(file: path, line: 1, column: 1))
        )
        continue
      }
      guard let text = String(validating: data, as: UTF8.self) else {
        diagnostics.append(
          Diagnostic(
            .error, "file is not valid UTF-8", at: SourceLocation(file: path, line: 1, column: 1)))
        continue
      }
      files.append((path, text))
    }
    if !diagnostics.isEmpty { throw BotLoadError(diagnostics) }
    return try load(files: files, directory: directory)
  }

  /// Loads a bot from in-memory files (path, contents): used by tests and fuzzing.
  public static func load(files: [(path: String, text: String)], directory: String = ".")
    throws(BotLoadError) -> Bot
  {
    var builder = Builder(directory: directory)
    let parsed = ParsedFiles(files)
    var sources = parsed.sources
    let roots = parsed.roots
    // Fragments first: any pattern in any file may use a fragment defined in any other.
    for i in sources.indices {
      if let root = roots[i] { builder.collectFragments(root, &sources[i]) }
    }
    builder.resolveFragments()
    for i in sources.indices {
      if let root = roots[i] { builder.read(root, &sources[i]) }
      builder.diagnostics += sources[i].diagnostics
    }
    return try builder.finish(files: files.map(\.path))
  }

  static func yamlFiles(in directory: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
    var out: [String] = []
    while let rel = enumerator.nextObject() as? String {
      if rel.hasSuffix(".yaml") || rel.hasSuffix(".yml") {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        out.append(base + "/" + rel)
      }
    }
    return out.sorted()
  }
}

/// Every file parsed into YAML nodes, the files spread over the machine's cores. Each file is
/// parsed on its own, into its own slot, with its own diagnostics, so the result does not
/// depend on timing.
private struct ParsedFiles {
  var sources: [YAMLSource]
  var roots: [Node?]

  init(_ files: [(path: String, text: String)]) {
    let slots = Slots(count: files.count)
    DispatchQueue.concurrentPerform(iterations: files.count) { i in
      var source = YAMLSource(path: files[i].path, text: files[i].text)
      let root = source.compose()
      slots.set(i, source, root)
    }
    sources = files.indices.map { slots.parsed[$0]?.0 ?? YAMLSource(path: "", text: "") }
    roots = files.indices.map { slots.parsed[$0]?.1 }
  }

  /// One slot per file; each is written by exactly one iteration, and read after all.
  private final class Slots: @unchecked Sendable {
    let parsed: UnsafeMutableBufferPointer<(YAMLSource, Node?)?>
    init(count: Int) {
      parsed = .allocate(capacity: count)
      parsed.initialize(repeating: nil)
    }
    deinit { parsed.deinitialize().deallocate() }
    func set(_ i: Int, _ source: YAMLSource, _ root: Node?) { parsed[i] = (source, root) }
  }
}

/// Collects sections from every file, then resolves and validates references.
private struct Builder {
  let directory: String
  var diagnostics: [Diagnostic] = []
  var settings: [String: String] = ["platform": "Alibaba"]
  var dialogue = DialogueSettings()
  var messages: [String: [ReplyLine]] = [:]
  var messageLocations: [String: SourceLocation] = [:]
  var substitutions: [String: String] = [:]
  var intents: [Intent] = []
  var intentLocations: [String: SourceLocation] = [:]
  var flows: [Flow] = []
  var flowLocations: [String: SourceLocation] = [:]
  var responses: [String: Response] = [:]
  /// References to check once every file is read.
  var intentRefs: [(String, SourceLocation)] = []
  var handoffOfferLocation: SourceLocation?
  var fragments = FragmentTable()
  /// How each pattern that uses fragments was expanded, by the pattern's location.
  var expansions: [SourceLocation: FragmentExpansion] = [:]
  /// The file each fragment was read from, to report errors inside fragments.
  var fragmentSources: [String: YAMLSource] = [:]

  init(directory: String) { self.directory = directory }

  mutating func error(_ message: String, _ at: SourceLocation) {
    diagnostics.append(Diagnostic(.error, message, at: at))
  }

  mutating func read(_ root: Node, _ src: inout YAMLSource) {
    guard let top = src.mapping(root, "the file", allowed: BotLoader.sections) else { return }
    for (key, _, value) in top {
      switch key {
      case "fragments": break  // read in the first pass
      case "settings": readSettings(value, &src)
      case "dialogue": readDialogue(value, &src)
      case "messages": readMessages(value, &src)
      case "substitutions": readSubstitutions(value, &src)
      case "intents": readIntents(value, &src)
      case "flows": readFlows(value, &src)
      case "responses": readResponses(value, &src)
      default: break
      }
    }
  }

  // MARK: Sections

  mutating func readSettings(_ node: Node, _ src: inout YAMLSource) {
    guard let map = src.mapping(node, "settings") else { return }
    for (key, keyNode, value) in map {
      if !Self.isIdentifier(key) {
        src.error("setting names must be lower_snake_case identifiers", at: keyNode)
      }
      if let s = src.string(value, "setting '\(key)'") { settings[key] = s }
    }
  }

  mutating func readDialogue(_ node: Node, _ src: inout YAMLSource) {
    guard
      let map = src.mapping(
        node, "dialogue", allowed: ["max_fallbacks", "max_tries", "handoff_offer_flow"])
    else { return }
    for (key, _, value) in map {
      if key == "handoff_offer_flow" {
        dialogue.handoffOfferFlow = src.string(value, key)
        handoffOfferLocation = src.location(value)
        continue
      }
      guard let n = src.int(value, key) else { continue }
      if n < 1 {
        src.error("\(key) must be at least 1", at: value)
        continue
      }
      if key == "max_fallbacks" { dialogue.maxFallbacks = n } else { dialogue.maxTries = n }
    }
  }

  mutating func readMessages(_ node: Node, _ src: inout YAMLSource) {
    guard let map = src.mapping(node, "messages") else { return }
    for (key, keyNode, value) in map {
      if messages[key] != nil {
        src.error("message '\(key)' is defined twice", at: keyNode)
        continue
      }
      messages[key] = replyLines(value, "message '\(key)'", &src)
      messageLocations[key] = src.location(keyNode)
    }
  }

  mutating func readSubstitutions(_ node: Node, _ src: inout YAMLSource) {
    guard let map = src.mapping(node, "substitutions") else { return }
    for (key, keyNode, value) in map {
      guard let replacement = src.string(value, "substitution for '\(key)'") else { continue }
      let words = key.split(separator: " ")
      if words.isEmpty
        || !key.unicodeScalars.allSatisfy({
          $0 == " " || $0 == "'" || ($0.isASCII && $0.properties.isAlphabetic)
            || ("0"..."9").contains($0)
        })
      {
        src.error(
          "substitution keys are words of ASCII letters, digits and apostrophes", at: keyNode)
        continue
      }
      if substitutions[key.lowercased()] != nil {
        src.error("substitution '\(key)' is defined twice", at: keyNode)
        continue
      }
      substitutions[key.lowercased()] = replacement
    }
  }

  mutating func readIntents(_ node: Node, _ src: inout YAMLSource) {
    guard let items = src.list(node, "intents", strict: true) else { return }
    let keys = [
      "id", "description", "priority", "patterns", "exclude", "examples", "counter_examples",
      "contextual",
    ]
    for item in items {
      guard let map = src.mapping(item, "an intent", allowed: keys) else { continue }
      var id: String?
      var description = ""
      var priority = 0
      var patterns: [IntentPattern] = []
      var exclusions: [IntentPattern] = []
      var examples: [Example] = []
      var counter: [Example] = []
      var contextual = false
      var idGiven = false
      for (key, _, value) in map {
        switch key {
        case "id":
          idGiven = true
          id = identifier(value, "intent id", &src)
        case "description": description = src.string(value, "description") ?? ""
        case "priority": priority = src.int(value, "priority") ?? 0
        case "patterns": patterns = compilePatterns(value, "patterns", &src)
        case "exclude": exclusions = compilePatterns(value, "exclude", &src)
        case "examples":
          examples = src.strings(value, "examples").map {
            Example(text: $0.0, location: src.location($0.1))
          }
        case "counter_examples":
          counter = src.strings(value, "counter_examples").map {
            Example(text: $0.0, location: src.location($0.1))
          }
        case "contextual": contextual = src.bool(value, "contextual") ?? false
        default: break
        }
      }
      let loc = src.location(item)
      guard let id else {
        if !idGiven { src.error("an intent needs an `id`", at: item) }
        continue
      }
      if let prev = intentLocations[id] {
        src.error("intent '\(id)' is already defined at \(prev)", at: item)
        continue
      }
      if patterns.isEmpty && !map.contains(where: { $0.key == "patterns" }) {
        src.error("intent '\(id)' needs at least one pattern", at: item)
      }
      intentLocations[id] = loc
      intents.append(
        Intent(
          id: id, description: description, priority: priority, patterns: patterns,
          exclusions: exclusions, examples: examples, counterExamples: counter,
          contextual: contextual, location: loc, order: intents.count))
    }
  }

  mutating func compilePatterns(_ node: Node, _ what: String, _ src: inout YAMLSource)
    -> [IntentPattern]
  {
    var out: [IntentPattern] = []
    for (text, item) in src.strings(node, what) {
      if let p = compile(text, item, &src) {
        out.append(
          IntentPattern(
            source: p.source, written: text, compiled: p, location: src.location(item)))
      }
    }
    return out
  }

  func compileOrNil(_ text: String) -> Pattern? { try? Pattern(text) }

  mutating func compile(_ text: String, _ node: Node, _ src: inout YAMLSource) -> Pattern? {
    if text.isEmpty {
      src.error("empty pattern (it would match every message)", at: node)
      return nil
    }
    let expansion: FragmentExpansion
    switch fragments.expand(text) {
    case .success(let e): expansion = e
    case .failure(let failure) where failure.brokenFragment:
      return nil  // the fragment's own error is already reported
    case .failure(let failure):
      src.error(failure.message, at: src.location(ofByte: failure.offset, in: node))
      return nil
    }
    if !expansion.segments.isEmpty { expansions[src.location(node)] = expansion }
    do {
      // JIT compilation, the larger part of the work, waits until a pattern first runs: most
      // never run for a given message, and start-up needs none of them.
      return try Pattern(expansion.text, jit: false)
    } catch {
      let (offset, fragment) = expansion.originalOffset(of: error.offset ?? 0)
      let inside = fragment.map { " (inside fragment '\($0)')" } ?? ""
      let at = src.location(ofByte: offset, in: node)
      src.error("pattern error: \(error.message) (PCRE2 error \(error.code))\(inside)", at: at)
      return nil
    }
  }

  // MARK: Fragments

  /// Reads the `fragments:` section of one file (first pass).
  mutating func collectFragments(_ root: Node, _ src: inout YAMLSource) {
    guard case .mapping(let top) = root else { return }
    for (k, v) in top where k.string == "fragments" {
      guard let map = src.mapping(v, "fragments") else { continue }
      for (name, keyNode, value) in map {
        guard Self.isIdentifier(name) else {
          src.error("fragment names must be lower_snake_case identifiers", at: keyNode)
          continue
        }
        if let prev = fragments.definitions[name] {
          src.error("fragment '\(name)' is already defined at \(prev.location)", at: keyNode)
          continue
        }
        guard let text = src.string(value, "fragment '\(name)'") else { continue }
        fragments.definitions[name] = FragmentTable.Definition(
          text: text, location: src.location(value), valueNode: value, path: src.path)
        fragmentSources[src.path] = src
      }
    }
  }

  /// Expands fragments that use other fragments, and compiles each on its own so that an
  /// error inside a fragment is reported where the fragment is written.
  mutating func resolveFragments() {
    for name in fragments.definitions.keys.sorted() {
      guard let def = fragments.definitions[name], var src = fragmentSources[def.path] else {
        continue
      }
      src.diagnostics = []
      switch fragments.expand(def.text, resolving: [name]) {
      case .failure(let f) where f.brokenFragment:
        fragments.broken.insert(name)
      case .failure(let f):
        fragments.broken.insert(name)
        src.error(f.message, at: src.location(ofByte: f.offset, in: def.valueNode))
      case .success(let e):
        do {
          _ = try Pattern(e.text, jit: false)  // only to check it
        } catch {
          fragments.broken.insert(name)
          let (offset, _) = e.originalOffset(of: error.offset ?? 0)
          src.error(
            "pattern error in fragment '\(name)': \(error.message) (PCRE2 error \(error.code))",
            at: src.location(ofByte: offset, in: def.valueNode))
        }
      }
      diagnostics += src.diagnostics
    }
  }

  mutating func readResponses(_ node: Node, _ src: inout YAMLSource) {
    guard let map = src.mapping(node, "responses") else { return }
    for (intent, keyNode, value) in map {
      if responses[intent] != nil {
        src.error("response for '\(intent)' is defined twice", at: keyNode)
        continue
      }
      intentRefs.append((intent, src.location(keyNode)))
      var say: [ReplyLine] = []
      var sayIdle: [ReplyLine] = []
      var behavior = ResponseBehavior.answer
      if case .mapping = value {
        guard
          let fields = src.mapping(
            value, "response '\(intent)'", allowed: ["say", "say_idle", "behavior"])
        else { continue }
        for (key, _, v) in fields {
          switch key {
          case "say": say = replyLines(v, "say", &src)
          case "say_idle": sayIdle = replyLines(v, "say_idle", &src)
          case "behavior":
            if let s = src.string(v, "behavior") {
              if let b = ResponseBehavior(rawValue: s) {
                behavior = b
              } else {
                src.error(
                  "unknown behavior '\(s)'; expected one of: "
                    + ResponseBehavior.allCases.map(\.rawValue).joined(separator: ", "), at: v)
              }
            }
          default: break
          }
        }
      } else {
        say = replyLines(value, "response '\(intent)'", &src)
      }
      if say.isEmpty && behavior != .repeat {
        src.error("response '\(intent)' says nothing", at: keyNode)
      }
      responses[intent] = Response(
        intent: intent, say: say, sayIdle: sayIdle, behavior: behavior,
        location: src.location(keyNode))
    }
  }

  mutating func readFlows(_ node: Node, _ src: inout YAMLSource) {
    guard let items = src.list(node, "flows", strict: true) else { return }
    for item in items {
      guard
        let map = src.mapping(
          item, "a flow", allowed: ["id", "title", "description", "triggers", "start", "states"])
      else { continue }
      var id: String?
      var title: String?
      var description = ""
      var triggers: [String]?
      var start: (String, Node)?
      var states: [String: FlowState] = [:]
      var order: [String] = []
      for (key, _, value) in map {
        switch key {
        case "id": id = identifier(value, "flow id", &src)
        case "title": title = src.string(value, "title")
        case "description": description = src.string(value, "description") ?? ""
        case "triggers":
          triggers = src.strings(value, "triggers").map { (t, n) in
            intentRefs.append((t, src.location(n)))
            return t
          }
        case "start": start = src.string(value, "start").map { ($0, value) }
        case "states":
          guard let stateMap = src.mapping(value, "states") else { break }
          for (sid, sidNode, body) in stateMap {
            if !Self.isIdentifier(sid) {
              src.error("state ids must be lower_snake_case identifiers", at: sidNode)
            }
            if let s = readState(sid, body, &src) {
              states[sid] = s
              order.append(sid)
            }
          }
        default: break
        }
      }
      guard let id else {
        src.error("a flow needs an `id`", at: item)
        continue
      }
      if let prev = flowLocations[id] {
        src.error("flow '\(id)' is already defined at \(prev)", at: item)
        continue
      }
      flowLocations[id] = src.location(item)
      if order.isEmpty { src.error("flow '\(id)' has no states", at: item) }
      let startId = start?.0 ?? order.first ?? ""
      if let (s, n) = start, states[s] == nil {
        src.error("flow '\(id)' starts in unknown state '\(s)'", at: n)
      }
      let trig = triggers ?? [id]
      if triggers == nil { intentRefs.append((id, src.location(item))) }
      flows.append(
        Flow(
          id: id, title: title ?? id.replacingOccurrences(of: "_", with: " "),
          description: description, triggers: trig, start: startId, states: states,
          stateOrder: order, location: src.location(item)))
    }
  }

  mutating func readState(_ id: String, _ node: Node, _ src: inout YAMLSource) -> FlowState? {
    let keys = [
      "say", "ask", "reprompt", "max_tries", "slots", "on", "next", "default", "action",
    ]
    guard let map = src.mapping(node, "state '\(id)'", allowed: keys) else { return nil }
    var say: [ReplyLine] = []
    var ask: ReplyLine?
    var reprompts: [ReplyLine] = []
    var maxTries = dialogue.maxTries
    var maxTriesSet = false
    var slots: [SlotFill] = []
    var on: [Transition] = []
    var next: [Transition] = []
    var fallback: Transition?
    var action: StateAction?
    for (key, _, value) in map {
      switch key {
      case "say": say = replyLines(value, "say", &src)
      case "ask":
        let lines = replyLines(value, "ask", &src)
        if lines.count > 1 {
          src.error("`ask` is one question (use `any:` for variants)", at: value)
        }
        ask = lines.first
      case "reprompt": reprompts = replyLines(value, "reprompt", &src)
      case "max_tries":
        if let n = src.int(value, "max_tries") {
          if n < 1 { src.error("max_tries must be at least 1", at: value) }
          maxTries = n
          maxTriesSet = true
        }
      case "slots": slots = readSlots(value, &src)
      case "on": on = readTransitions(value, "on", &src)
      case "next": next = readTransitions(value, "next", &src)
      case "default":
        let options = readTransitions(value, "default", &src)
        if options.count > 1 {
          src.error(
            "`default` is one transition (no list, no `or` in its condition)", at: value)
        }
        fallback = options.first
      case "action":
        if let s = src.string(value, "action") {
          if let a = StateAction(rawValue: s) {
            action = a
          } else {
            src.error("unknown action '\(s)'; expected: handoff", at: value)
          }
        }
      default: break
      }
    }
    _ = maxTriesSet
    return FlowState(
      id: id, say: say, ask: ask, reprompts: reprompts, maxTries: maxTries, slots: slots,
      transitions: on, next: next, fallback: fallback, action: action, location: src.location(node))
  }

  mutating func readSlots(_ node: Node, _ src: inout YAMLSource) -> [SlotFill] {
    guard let items = src.list(node, "slots") else { return [] }
    var out: [SlotFill] = []
    for item in items {
      guard
        let map = src.mapping(item, "a slot", allowed: ["name", "entity", "extract", "pattern"])
      else { continue }
      var name: String?
      var source: SlotFill.Source?
      for (key, _, value) in map {
        switch key {
        case "name": name = identifier(value, "slot name", &src)
        case "entity":
          if let e = src.string(value, "entity") { source = .entity(e) }
        case "extract":
          if let e = src.string(value, "extract") {
            if SlotExtractors.names.contains(e) {
              source = .extractor(e)
            } else {
              src.error(
                "unknown extractor '\(e)'; expected one of: "
                  + SlotExtractors.names.sorted().joined(separator: ", "), at: value)
            }
          }
        case "pattern":
          if let p = src.string(value, "pattern"), let compiled = compile(p, value, &src) {
            source = .pattern(compiled)
          }
        default: break
        }
      }
      guard let name else {
        src.error("a slot needs a `name`", at: item)
        continue
      }
      guard let source else {
        if !diagnostics.isEmpty || !src.diagnostics.isEmpty { continue }
        src.error("slot '\(name)' needs one of `entity`, `extract` or `pattern`", at: item)
        continue
      }
      out.append(SlotFill(slot: name, source: source, location: src.location(item)))
    }
    return out
  }

  mutating func readTransitions(_ node: Node, _ what: String, _ src: inout YAMLSource)
    -> [Transition]
  {
    let items: [Node]
    if case .mapping = node { items = [node] } else { items = src.list(node, what) ?? [] }
    var out: [Transition] = []
    for item in items {
      if case .scalar(let s) = item {
        // Shorthand: a bare target.
        out.append(
          Transition(
            intents: [], condition: nil, target: target(s.string), set: [:],
            location: src.location(item)))
        continue
      }
      guard let map = src.mapping(item, "a transition", allowed: ["intent", "if", "to", "set"])
      else { continue }
      var intents: [String] = []
      var conditions: [Condition?] = [nil]
      var to: Target?
      var set: [String: SlotValue] = [:]
      for (key, _, value) in map {
        switch key {
        case "intent":
          intents = src.strings(value, "intent").map { (t, n) in
            intentRefs.append((t, src.location(n)))
            return t
          }
        case "if":
          if let s = src.string(value, "condition") {
            do {
              conditions = try ConditionParser.parseAlternatives(s)
            } catch {
              src.error(
                "bad condition: \(error.message)", at: src.location(ofByte: error.offset, in: value)
              )
            }
          }
        case "to": to = src.string(value, "to").map(target)
        case "set":
          if let fields = src.mapping(value, "set") {
            for (k, _, v) in fields {
              if let s = src.string(v, "slot value") {
                set[k] = Int(s).map(SlotValue.number) ?? .string(s)
              }
            }
          }
        default: break
        }
      }
      guard let to else {
        src.error("a transition needs `to` (a state, `flow:ID` or `end`)", at: item)
        continue
      }
      // `if: A or B` becomes one transition per alternative, in order, at the same location.
      for condition in conditions {
        out.append(
          Transition(
            intents: intents, condition: condition, target: to, set: set,
            location: src.location(item)))
      }
    }
    return out
  }

  func target(_ s: String) -> Target {
    if s == "end" { return .end }
    if s.hasPrefix("flow:") { return .flow(String(s.dropFirst(5))) }
    return .state(s)
  }

  mutating func replyLines(_ node: Node, _ what: String, _ src: inout YAMLSource) -> [ReplyLine] {
    guard let items = src.list(node, what) else { return [] }
    var out: [ReplyLine] = []
    for item in items {
      if case .mapping = item {
        guard let map = src.mapping(item, "a reply", allowed: ["any"]),
          let any = map.first
        else { continue }
        let alts = src.strings(any.value, "any").compactMap { template($0.0, $0.1, &src) }
        if alts.isEmpty {
          src.error("`any` needs at least one phrasing", at: item)
          continue
        }
        out.append(ReplyLine(alternatives: alts))
      } else if let s = src.string(item, what), let t = template(s, item, &src) {
        out.append(ReplyLine(alternatives: [t]))
      }
    }
    return out
  }

  mutating func template(_ text: String, _ node: Node, _ src: inout YAMLSource) -> Template? {
    var parts: [Template.Part] = []
    var literal = ""
    var i = text.startIndex
    while i < text.endIndex {
      let c = text[i]
      if c == "{" {
        let nextIndex = text.index(after: i)
        if nextIndex < text.endIndex, text[nextIndex] == "{" {
          literal.append("{")
          i = text.index(after: nextIndex)
          continue
        }
        guard let close = text[nextIndex...].firstIndex(of: "}") else {
          src.error(
            "unclosed `{` in reply (write `{{` for a literal brace)",
            at: src.location(ofByte: text.utf8.distance(from: text.startIndex, to: i), in: node))
          return nil
        }
        let name = String(text[nextIndex..<close])
        guard Self.isIdentifier(name) else {
          src.error(
            "placeholder `{\(name)}` must be a setting or slot name",
            at: src.location(ofByte: text.utf8.distance(from: text.startIndex, to: i), in: node))
          return nil
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        literal = ""
        parts.append(.placeholder(name))
        i = text.index(after: close)
      } else if c == "}" {
        let nextIndex = text.index(after: i)
        if nextIndex < text.endIndex, text[nextIndex] == "}" {
          i = text.index(after: nextIndex)
        } else {
          i = nextIndex
        }
        literal.append("}")
      } else {
        literal.append(c)
        i = text.index(after: i)
      }
    }
    if !literal.isEmpty { parts.append(.text(literal)) }
    if parts.isEmpty {
      src.error("empty reply", at: node)
      return nil
    }
    return Template(raw: text, parts: parts, location: src.location(node))
  }

  mutating func identifier(_ node: Node, _ what: String, _ src: inout YAMLSource) -> String? {
    guard let s = src.string(node, what) else { return nil }
    if !Self.isIdentifier(s) {
      src.error("\(what) '\(s)' must be a lower_snake_case identifier", at: node)
      return nil
    }
    return s
  }

  static func isIdentifier(_ s: String) -> Bool {
    guard let first = s.unicodeScalars.first, ("a"..."z").contains(first) || first == "_" else {
      return false
    }
    return s.unicodeScalars.allSatisfy {
      ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
    }
  }

  // MARK: Resolution

  mutating func finish(files: [String]) throws(BotLoadError) -> Bot {
    let intentIds = Set(intents.map(\.id))
    for (ref, at) in intentRefs where !intentIds.contains(ref) {
      let hint = YAMLSource.closest(ref, in: Array(intentIds)).map { " (did you mean '\($0)'?)" }
      error("unknown intent '\(ref)'\(hint ?? "")", at)
    }
    let flowIds = Set(flows.map(\.id))
    var slotsByFlow: [String: Set<String>] = [:]
    for flow in flows {
      var slots = Set<String>()
      for s in flow.states.values {
        slots.formUnion(s.slots.map(\.slot))
        for t in s.transitions + s.next + (s.fallback.map { [$0] } ?? []) {
          slots.formUnion(t.set.keys)
        }
      }
      slotsByFlow[flow.id] = slots
      for sid in flow.stateOrder {
        guard let s = flow.states[sid] else { continue }
        for t in s.transitions + s.next + (s.fallback.map { [$0] } ?? []) {
          switch t.target {
          case .state(let target) where flow.states[target] == nil:
            error(
              "state '\(sid)' goes to unknown state '\(target)' in flow '\(flow.id)'", t.location)
          case .flow(let f) where !flowIds.contains(f):
            error("state '\(sid)' goes to unknown flow '\(f)'", t.location)
          default: break
          }
        }
      }
    }
    // Templates may use settings, built-ins, and any slot of any flow (the checker is stricter).
    // Named captures become slots when their intent starts a flow, so they count too.
    let captureNames = intents.flatMap {
      $0.patterns.flatMap { $0.compiled.namedGroups.map(\.name) }
    }
    let allSlots = slotsByFlow.values.reduce(into: Set(captureNames)) { $0.formUnion($1) }
    let known = Set(settings.keys).union(Engine.builtinPlaceholders).union(allSlots)
    var templates: [Template] = []
    for flow in flows {
      for s in flow.states.values {
        templates += (s.say + s.reprompts + (s.ask.map { [$0] } ?? [])).flatMap(\.alternatives)
      }
    }
    for r in responses.values { templates += (r.say + r.sayIdle).flatMap(\.alternatives) }
    for m in messages.values { templates += m.flatMap(\.alternatives) }
    for t in templates {
      for name in t.placeholders where !known.contains(name) {
        error("reply uses `{\(name)}`, which is no setting, slot or built-in name", t.location)
      }
    }
    let dirLocation = SourceLocation(file: directory, line: 1, column: 1)
    for name in Bot.requiredMessages where messages[name] == nil {
      error("the bot defines no `\(name)` message (under `messages:`)", dirLocation)
    }
    if let offer = dialogue.handoffOfferFlow {
      if !flowIds.contains(offer) {
        error(
          "handoff_offer_flow names unknown flow '\(offer)'", handoffOfferLocation ?? dirLocation)
      }
    } else if messages["fallback_handoff"] == nil {
      error(
        "the bot defines neither `dialogue: handoff_offer_flow` nor a `fallback_handoff` message",
        dirLocation)
    }
    for (flowTrigger, flow) in flows.flatMap({ f in f.triggers.map { ($0, f) } }) {
      if let other = flows.first(where: { $0.id != flow.id && $0.triggers.contains(flowTrigger) }),
        flow.id < other.id
      {
        error(
          "intent '\(flowTrigger)' starts both flow '\(flow.id)' and flow '\(other.id)'",
          flow.location)
      }
    }
    if !diagnostics.isEmpty {
      throw BotLoadError(diagnostics.sorted { $0.location < $1.location })
    }
    var bot = Bot(
      directory: directory, files: files, settings: settings, dialogue: dialogue,
      messages: messages, messageLocations: messageLocations, intents: intents, flows: flows,
      responses: responses, normalizer: Normalizer(substitutions: substitutions))
    bot.fragmentExpansions = expansions
    return bot
  }
}
