import Foundation
import Yams

/// Re-reads a bot's YAML files to turn model locations into finer ones: a byte inside a pattern
/// or reply, the key of a mapping value, a field of a transition.
///
/// The loader keeps one location per node; the checker wants to point at the `(` of a nested
/// quantifier or the `{slot}` of a reply. Files that cannot be re-read are simply not refined.
final class SourceMap {
  private struct Entry {
    var source: YAMLSource
    /// Scalars by `line:column` of their mark.
    var scalars: [Key: Node] = [:]
    /// Mapping values by mark, with the key's node.
    var keysOfValues: [Key: Node] = [:]
    /// Mappings by mark: key → value.
    var mappings: [Key: [(String, Node)]] = [:]
  }

  private struct Key: Hashable {
    let line: Int
    let column: Int
  }

  private var entries: [String: Entry?] = [:]
  private let texts: [String: String]

  /// `texts` overrides reading from disk (for bots loaded from memory).
  init(texts: [String: String] = [:]) { self.texts = texts }

  private func entry(_ file: String) -> Entry? {
    if let cached = entries[file] { return cached }
    var loaded: Entry? = nil
    let text =
      texts[file]
      ?? FileManager.default.contents(atPath: file).flatMap {
        String(validating: $0, as: UTF8.self)
      }
    if let text, let root = try? Yams.compose(yaml: text, .basic) {
      var e = Entry(source: YAMLSource(path: file, text: text))
      Self.index(root, into: &e)
      loaded = e
    }
    entries[file] = .some(loaded)
    return loaded
  }

  private static func key(_ node: Node) -> Key? {
    node.mark.map { Key(line: $0.line, column: $0.column) }
  }

  private static func index(_ node: Node, into e: inout Entry) {
    switch node {
    case .scalar:
      if let k = key(node) { e.scalars[k] = node }
    case .mapping(let map):
      var pairs: [(String, Node)] = []
      for (k, v) in map {
        if let vk = key(v) { e.keysOfValues[vk] = k }
        if case .scalar(let s) = k { pairs.append((s.string, v)) }
        index(v, into: &e)
      }
      if let k = key(node) { e.mappings[k] = pairs }
    case .sequence(let seq):
      for item in seq { index(item, into: &e) }
    default:
      break
    }
  }

  /// The position of UTF-8 byte `offset` of the scalar at `location` (a pattern or a reply).
  func location(ofByte offset: Int, in location: SourceLocation) -> SourceLocation {
    guard let e = entry(location.file),
      let node = e.scalars[Key(line: location.line, column: location.column)]
    else { return location }
    return e.source.location(ofByte: offset, in: node)
  }

  /// The key of the mapping value at `location` (`orphan:` for a state's body), if any.
  func keyLocation(ofValueAt location: SourceLocation) -> SourceLocation {
    guard let e = entry(location.file),
      let keyNode = e.keysOfValues[Key(line: location.line, column: location.column)]
    else { return location }
    return e.source.location(keyNode)
  }

  /// The value of `key` in the mapping at `location` (the `if:` of a transition), if any.
  func value(ofKey key: String, inMappingAt location: SourceLocation) -> SourceLocation? {
    guard let e = entry(location.file),
      let pairs = e.mappings[Key(line: location.line, column: location.column)],
      let node = pairs.first(where: { $0.0 == key })?.1
    else { return nil }
    return e.source.location(node)
  }
}
