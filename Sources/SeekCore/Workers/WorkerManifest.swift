/// What the marketplace says of a worker: who it is, what it takes, what it returns, what it costs.
public struct WorkerManifest: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var version: String
    public var categories: [String]
    public var inputSchema: JSONValue
    public var outputKind: ResultEnvelope.Kind
    public var pricing: Pricing
    public var maxDurationSeconds: Int

    /// The longest deadline a manifest may declare: a day.
    public static let maxDurationLimit = 86_400

    public init(
        id: String,
        name: String,
        description: String,
        version: String,
        categories: [String] = [],
        inputSchema: JSONValue,
        outputKind: ResultEnvelope.Kind,
        pricing: Pricing,
        maxDurationSeconds: Int
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.version = version
        self.categories = categories
        self.inputSchema = inputSchema
        self.outputKind = outputKind
        self.pricing = pricing
        self.maxDurationSeconds = maxDurationSeconds
    }
}

extension WorkerManifest {
    /// A manifest as a publisher sends it, in the shape `GET /v1/workers/{id}` answers. Every problem is
    /// reported at once, as a 422 detail with its JSON pointer; the schema is compiled to prove it compiles.
    public init(json: JSONValue) throws(SeekError) {
        var reader = ManifestReader(json)
        let id = reader.string("id", check: { WorkerSlug.isValid($0) ? nil : "must match ^[a-z0-9][a-z0-9-]{1,62}$" })
        let name = reader.string("name", check: { (1...100).contains($0.count) ? nil : "must be 1 to 100 characters" })
        let description = reader.string("description", optional: "", check: { $0.count <= 2_000 ? nil : "must be at most 2,000 characters" })
        let version = reader.string("version", check: { SemanticVersion($0) == nil ? "must be a semantic version such as 1.0.0" : nil })
        let categories = reader.categories()
        let schema = reader.schema()
        let outputKind = reader.outputKind()
        let pricing = reader.pricing()
        let maxDuration = reader.integer("max_duration_s", in: 1...Self.maxDurationLimit)
        guard reader.problems.isEmpty, let id, let name, let description, let version, let schema, let outputKind, let pricing,
            let maxDuration
        else {
            throw SeekError.invalidManifest(reader.problems)
        }
        self.init(
            id: id,
            name: name,
            description: description,
            version: version,
            categories: categories,
            inputSchema: schema,
            outputKind: outputKind,
            pricing: pricing,
            maxDurationSeconds: maxDuration
        )
    }

    /// The manifest as stored and as a publisher would send it again.
    public var json: JSONValue {
        [
            "id": .string(id), "name": .string(name), "description": .string(description), "version": .string(version),
            "categories": .array(categories.map(JSONValue.string)), "input_schema": inputSchema,
            "output": ["kind": .string(outputKind.rawValue)], "pricing": pricing.json,
            "max_duration_s": .integer(maxDurationSeconds),
        ]
    }
}

/// Reads a manifest member by member, collecting each problem with its path instead of stopping at the first.
private struct ManifestReader {
    let root: JSONValue
    var problems: [SeekError.Detail] = []

    init(_ root: JSONValue) {
        self.root = root
        if root.objectValue == nil { problems.append(.init(path: "", message: "must be a JSON object")) }
    }

    mutating func problem(_ path: String, _ message: String) {
        problems.append(.init(path: path, message: message))
    }

    mutating func string(_ key: String, optional fallback: String? = nil, check: (String) -> String?) -> String? {
        guard let value = root[key], value != .null else {
            if fallback == nil { problem("/\(key)", "is required") }
            return fallback
        }
        guard let text = value.stringValue else {
            problem("/\(key)", "must be a string")
            return nil
        }
        if let message = check(text) {
            problem("/\(key)", message)
            return nil
        }
        return text
    }

    mutating func integer(_ key: String, at path: String? = nil, in range: ClosedRange<Int>, from object: JSONValue? = nil) -> Int? {
        let path = path ?? "/\(key)"
        guard let value = (object ?? root)[key], value != .null else {
            problem(path, "is required")
            return nil
        }
        guard let number = value.integerValue, range.contains(Int(number)) else {
            problem(path, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return Int(number)
    }

    mutating func categories() -> [String] {
        guard let value = root["categories"], value != .null else { return [] }
        guard let list = value.arrayValue, list.count <= 10 else {
            problem("/categories", "must be an array of at most 10 category slugs")
            return []
        }
        var categories: [String] = []
        for (index, item) in list.enumerated() {
            if let text = item.stringValue, WorkerSlug.isValid(text) {
                categories.append(text)
            } else {
                problem("/categories/\(index)", "must be a slug such as image-processing")
            }
        }
        return categories
    }

    mutating func schema() -> JSONValue? {
        guard let schema = root["input_schema"] else {
            problem("/input_schema", "is required")
            return nil
        }
        // Held to the 2020-12 meta-schema first, so that a misspelt keyword's value is caught, not ignored.
        let violations = MetaSchema.schema?.validate(schema) ?? []
        guard violations.isEmpty else {
            for violation in violations.prefix(10) { problem("/input_schema\(violation.path)", violation.message) }
            return nil
        }
        do {
            _ = try JSONSchema(schema)
            return schema
        } catch {
            problem("/input_schema", error.message)
            return nil
        }
    }

    mutating func outputKind() -> ResultEnvelope.Kind? {
        // `output_kind` is the listing's older name for the same thing.
        let kind = root["output"]?["kind"] ?? root["output_kind"]
        guard let kind else {
            problem("/output/kind", "is required")
            return nil
        }
        guard let parsed = kind.stringValue.flatMap(ResultEnvelope.Kind.init(rawValue:)) else {
            problem("/output/kind", "must be object or list")
            return nil
        }
        return parsed
    }

    mutating func pricing() -> Pricing? {
        guard let pricing = root["pricing"], pricing.objectValue != nil else {
            problem("/pricing", "is required: an object with billing_mode")
            return nil
        }
        let credits = 0...1_000_000
        var infra = 0
        if let value = pricing["infra_credits_per_second"], value != .null {
            infra = integer("infra_credits_per_second", at: "/pricing/infra_credits_per_second", in: 0...10_000, from: pricing) ?? 0
        }
        switch pricing["billing_mode"]?.stringValue.flatMap(BillingMode.init(rawValue:)) {
        case .perRun:
            let perRun = integer("credits_per_run", at: "/pricing/credits_per_run", in: credits, from: pricing)
            return perRun.map { .perRun($0, infraCreditsPerSecond: infra) }
        case .perEvent:
            let perEvent = integer("credits_per_event", at: "/pricing/credits_per_event", in: credits, from: pricing)
            let maxEvents = integer("max_events", at: "/pricing/max_events", in: 1...1_000_000, from: pricing)
            var event = "item"
            if let value = pricing["event"], value != .null {
                if let text = value.stringValue, WorkerSlug.isValid(text) || text.count == 1 {
                    event = text
                } else {
                    problem("/pricing/event", "must be an event name such as item")
                }
            }
            let capInput = pricing["event_cap_input"]?.stringValue
            guard let perEvent, let maxEvents else { return nil }
            return .perEvent(perEvent, maxEvents: maxEvents, event: event, eventCapInput: capInput, infraCreditsPerSecond: infra)
        case nil:
            problem("/pricing/billing_mode", "must be per_run or per_event")
            return nil
        }
    }
}

/// `MAJOR.MINOR.PATCH`, with an optional pre-release after a hyphen (semver.org, without build metadata).
public struct SemanticVersion: Sendable, Equatable {
    public let major: Int, minor: Int, patch: Int

    public init?(_ text: String) {
        guard text.count <= 64 else { return nil }
        let core = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        if core.count == 2, core[1].isEmpty || !core[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ".") }) {
            return nil
        }
        let parts = core[0].split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let numbers = parts.compactMap { part -> Int? in
            guard !part.isEmpty, part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber), part == "0" || !part.hasPrefix("0") else { return nil }
            return Int(part)
        }
        guard numbers.count == 3 else { return nil }
        (major, minor, patch) = (numbers[0], numbers[1], numbers[2])
    }
}

extension SeekError {
    /// The 422 of a manifest, with each problem at its path.
    public static func invalidManifest(_ problems: [Detail]) -> SeekError {
        SeekError(.unprocessableEntity, "The worker manifest is not valid.", details: problems)
    }

    public static func invalidManifest(at path: String, _ message: String) -> SeekError {
        invalidManifest([Detail(path: path, message: message)])
    }
}
