import Foundation

/// Turns a ``SessionState`` into stored JSON and back, checking its format version.
///
/// A value written by a newer format is refused; one written by an older format is upgraded
/// step by step (``upgrade(_:from:)``) or refused when no upgrade exists. Nothing is ever
/// decoded under the wrong version.
public struct SessionStateCodec {
  private let encoder: JSONEncoder
  private let decoder = JSONDecoder()

  public init() {
    encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  }

  /// The state as compact JSON, with keys sorted (so equal states store equal bytes).
  public func encode(_ state: SessionState) throws(SessionStoreError) -> String {
    do {
      return String(decoding: try encoder.encode(state), as: UTF8.self)
    } catch {
      throw SessionStoreError(.corrupt, path: "", "cannot encode a session state: \(error)")
    }
  }

  /// Decodes a stored state. `version` is the format version stored next to it; `where` names
  /// the row in messages.
  public func decode(_ json: String, version: Int, where place: String)
    throws(SessionStoreError) -> SessionState
  {
    let current = SessionState.currentVersion
    if version > current {
      throw SessionStoreError(
        .newerVersion, path: "",
        "\(place) has session format \(version), written by a newer supportbot; "
          + "this build reads format \(current). Run the newer version, or start with a new file.")
    }
    var data = Data(json.utf8)
    if version < current {
      data = try Self.upgrade(data, from: version, place: place)
    }
    let state: SessionState
    do {
      state = try decoder.decode(SessionState.self, from: data)
    } catch {
      throw SessionStoreError(
        .corrupt, path: "", "\(place) holds a session state that does not decode: \(error)")
    }
    guard state.version == current else {
      throw SessionStoreError(
        .corrupt, path: "",
        "\(place) says format \(version) but its state says \(state.version)")
    }
    return state
  }

  /// Upgrades stored JSON from an older format to the current one, one version at a time.
  ///
  /// Format 1 is the first; when `SessionState` changes shape, bump `currentVersion` and add
  /// the step from the previous version here (with a test that reads a stored old value).
  static func upgrade(_ data: Data, from version: Int, place: String)
    throws(SessionStoreError) -> Data
  {
    throw SessionStoreError(
      .unsupportedVersion, path: "",
      "\(place) has session format \(version), which this build cannot upgrade "
        + "(it reads format \(SessionState.currentVersion)); start with a new file.")
  }
}
