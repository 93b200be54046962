import Yams

/// One YAML file being read, with helpers that turn nodes into typed values or diagnostics.
struct YAMLSource {
  let path: String
  let text: String
  let lines: [Substring]
  var diagnostics: [Diagnostic] = []

  init(path: String, text: String) {
    self.path = path
    self.text = text
    self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
  }

  func location(_ node: Node) -> SourceLocation {
    guard let mark = node.mark else { return SourceLocation(file: path, line: 1, column: 1) }
    return SourceLocation(file: path, line: mark.line, column: mark.column)
  }

  func location(line: Int, column: Int) -> SourceLocation {
    SourceLocation(file: path, line: line, column: column)
  }

  mutating func error(_ message: String, at node: Node) {
    diagnostics.append(Diagnostic(.error, message, at: location(node)))
  }

  mutating func error(_ message: String, at location: SourceLocation) {
    diagnostics.append(Diagnostic(.error, message, at: location))
  }

  /// Parses the file, reporting YAML syntax errors at their position.
  mutating func compose() -> Node? {
    do {
      return try Yams.compose(yaml: text, .basic)
    } catch let error as YamlError {
      switch error {
      case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
        .composer(_, let problem, let mark, _):
        self.error(
          "YAML syntax error: \(problem)", at: location(line: mark.line, column: mark.column))
      case .reader(let problem, _, _, _):
        self.error("cannot read file: \(problem)", at: location(line: 1, column: 1))
      default:
        self.error("cannot parse YAML: \(error)", at: location(line: 1, column: 1))
      }
    } catch {
      self.error("cannot parse YAML: \(error)", at: location(line: 1, column: 1))
    }
    return nil
  }

  // MARK: Typed access

  mutating func string(_ node: Node, _ what: String) -> String? {
    if case .scalar(let s) = node { return s.string }
    error("\(what) must be text", at: node)
    return nil
  }

  mutating func int(_ node: Node, _ what: String) -> Int? {
    if case .scalar(let s) = node, let n = Int(s.string) { return n }
    error("\(what) must be a whole number", at: node)
    return nil
  }

  mutating func bool(_ node: Node, _ what: String) -> Bool? {
    if case .scalar(let s) = node {
      switch s.string.lowercased() {
      case "true", "yes", "on": return true
      case "false", "no", "off": return false
      default: break
      }
    }
    error("\(what) must be true or false", at: node)
    return nil
  }

  /// A list of nodes; a single scalar counts as a one-element list unless `strict`.
  mutating func list(_ node: Node, _ what: String, strict: Bool = false) -> [Node]? {
    switch node {
    case .sequence(let seq): return Array(seq)
    case .scalar where !strict: return [node]
    default:
      error("\(what) must be a list", at: node)
      return nil
    }
  }

  mutating func strings(_ node: Node, _ what: String) -> [(String, Node)] {
    guard let items = list(node, what) else { return [] }
    return items.compactMap { item in string(item, what).map { ($0, item) } }
  }

  /// A mapping's entries, checking keys against `allowed` (unknown keys are errors).
  mutating func mapping(_ node: Node, _ what: String, allowed: [String]? = nil) -> [(
    key: String, keyNode: Node, value: Node
  )]? {
    guard case .mapping(let map) = node else {
      error("\(what) must be a mapping of `key: value`", at: node)
      return nil
    }
    var out: [(key: String, keyNode: Node, value: Node)] = []
    var seen = Set<String>()
    for (k, v) in map {
      guard case .scalar(let ks) = k else {
        error("keys in \(what) must be text", at: k)
        continue
      }
      let key = ks.string
      if let allowed, !allowed.contains(key) {
        let hint = Self.closest(key, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
        error(
          "unknown key '\(key)' in \(what)\(hint); expected one of: "
            + allowed.joined(separator: ", "), at: k)
        continue
      }
      if !seen.insert(key).inserted {
        error("duplicate key '\(key)' in \(what)", at: k)
        continue
      }
      out.append((key, k, v))
    }
    return out
  }

  /// The source position of byte `offset` inside a scalar's value, for pattern errors.
  ///
  /// Exact for plain and quoted scalars on one line and for single-line block scalars;
  /// otherwise the scalar's own position.
  func location(ofByte offset: Int, in node: Node) -> SourceLocation {
    guard case .scalar(let scalar) = node, let mark = node.mark else { return location(node) }
    let value = scalar.string
    let prefix = String(decoding: value.utf8.prefix(offset), as: UTF8.self)
    let scalarsBefore = prefix.unicodeScalars.count
    switch scalar.style {
    case .plain, .any:
      if !value.contains("\n") {
        return location(line: mark.line, column: mark.column + scalarsBefore)
      }
    case .singleQuoted, .doubleQuoted:
      guard mark.line - 1 < lines.count, !value.contains("\n") else { break }
      let raw = Array(lines[mark.line - 1].unicodeScalars)
      var col = mark.column  // at the opening quote (1-based)
      var decoded = 0
      var i = mark.column  // index after the quote, 0-based
      let quote: Unicode.Scalar = scalar.style == .singleQuoted ? "'" : "\""
      while i < raw.count, decoded < scalarsBefore {
        if quote == "'" && raw[i] == "'" && i + 1 < raw.count && raw[i + 1] == "'" {
          i += 2
        } else if quote == "\"" && raw[i] == "\\" {
          i += 2
        } else {
          i += 1
        }
        decoded += 1
      }
      col = i + 1
      return location(line: mark.line, column: col)
    case .literal, .folded:
      let line = mark.line + 1
      if line - 1 < lines.count, !value.dropLast().contains("\n") {
        let raw = lines[line - 1]
        let indent = raw.prefix { $0 == " " }.count
        return location(line: line, column: indent + 1 + scalarsBefore)
      }
    default:
      break
    }
    return location(node)
  }

  /// The allowed word nearest to a misspelt key, if any is close.
  static func closest(_ word: String, in candidates: [String]) -> String? {
    var best: (String, Int)? = nil
    for c in candidates {
      let d = editDistance(word, c)
      if d <= max(2, word.count / 3), d < (best?.1 ?? Int.max) { best = (c, d) }
    }
    return best?.0
  }

  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      cur[0] = i
      for j in 1...b.count {
        cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&prev, &cur)
    }
    return prev[b.count]
  }
}
