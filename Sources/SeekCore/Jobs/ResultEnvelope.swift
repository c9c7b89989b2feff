import OrderedCollections

/// Seed 001's output container: `kind: object` puts the result in `data` (items empty),
/// `kind: list` in `items` (data null); `meta` always exists.
public struct ResultEnvelope: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case object, list }

    public var kind: Kind
    public var data: JSONValue
    public var items: [JSONValue]
    public var meta: OrderedDictionary<String, JSONValue>

    public static func object(_ data: JSONValue, meta: OrderedDictionary<String, JSONValue> = [:]) -> ResultEnvelope {
        ResultEnvelope(kind: .object, data: data, items: [], meta: meta)
    }

    public static func list(_ items: [JSONValue], meta: OrderedDictionary<String, JSONValue> = [:]) -> ResultEnvelope {
        ResultEnvelope(kind: .list, data: .null, items: items, meta: meta)
    }

    public var json: JSONValue {
        ["kind": .string(kind.rawValue), "data": data, "items": .array(items), "meta": .object(meta)]
    }

    public init(kind: Kind, data: JSONValue, items: [JSONValue], meta: OrderedDictionary<String, JSONValue>) {
        self.kind = kind
        self.data = data
        self.items = items
        self.meta = meta
    }

    public init?(json: JSONValue) {
        guard let kind = json["kind"]?.stringValue.flatMap(Kind.init(rawValue:)) else { return nil }
        self.init(kind: kind, data: json["data"] ?? .null, items: json["items"]?.arrayValue ?? [], meta: json["meta"]?.objectValue ?? [:])
    }
}
