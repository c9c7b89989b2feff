import OrderedCollections
import SeekCore

/// Bounds on what one job's process may send back: past any of them, or on a malformed line, the job fails
/// with a clear error instead of exhausting the runner.
public struct OutputLimits: Sendable {
    public var maxItems = 10_000
    /// All stdout of one job.
    public var maxBytes = 16 << 20
    public var maxLineBytes = 1 << 20
    /// `log` and `warning` messages of one job, together.
    public var maxLogBytes = 64 << 10
    public var maxFiles = 20
    public var maxFileBytes = 64 << 20
    /// The end of stderr kept for a failed job's error message.
    public var stderrTailBytes = 2_048

    public init() {}
}

/// A job's process broke the command protocol or one of its limits: the job fails with this.
public struct ProtocolViolation: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }

    public var failure: JobFailure { JobFailure(code: "protocol_error", message: message) }
}

/// Collects the JSON lines a worker writes (`docs/workers.md`): `data`, `item`, `meta`, `warning`, `charge`
/// and `log`, into the result a finish reports.
public struct WorkerOutput: Sendable {
    public let job: RunnerJob
    let limits: OutputLimits
    private(set) var data: JSONValue = .null
    private(set) var items: [JSONValue] = []
    private(set) var meta: OrderedDictionary<String, JSONValue> = [:]
    private(set) var warnings: [String] = []
    /// Billable events from `charge` lines; nil while there were none (items are counted instead).
    private(set) var charged: Int?
    public private(set) var logs: [String] = []
    private var bytes = 0
    private var logBytes = 0

    public init(job: RunnerJob, limits: OutputLimits) {
        self.job = job
        self.limits = limits
    }

    /// Takes one line of stdout; blank lines are allowed and ignored.
    public mutating func take(_ line: String) throws(ProtocolViolation) {
        bytes += line.utf8.count + 1
        guard bytes <= limits.maxBytes else { throw ProtocolViolation("The worker wrote more than \(limits.maxBytes) bytes of output.") }
        guard line.utf8.count <= limits.maxLineBytes else {
            throw ProtocolViolation("An output line is longer than \(limits.maxLineBytes) bytes.")
        }
        if line.allSatisfy(\.isWhitespace) { return }
        guard let message = try? JSONParser.parse(Array(line.utf8)), message.objectValue != nil else {
            throw ProtocolViolation("An output line is not a JSON object: \(Self.excerpt(line)).")
        }
        try take(message)
    }

    /// Takes one parsed message (persistent mode has already read its `job_uuid`).
    public mutating func take(_ message: JSONValue) throws(ProtocolViolation) {
        switch message["type"]?.stringValue {
        case "data":
            guard let value = message["data"] else { throw ProtocolViolation("A data line needs a data member.") }
            data = value
        case "item":
            guard let item = message["item"] else { throw ProtocolViolation("An item line needs an item member.") }
            guard items.count < limits.maxItems else { throw ProtocolViolation("The worker sent more than \(limits.maxItems) items.") }
            items.append(item)
        case "meta":
            guard let members = message["meta"]?.objectValue else { throw ProtocolViolation("A meta line needs a meta object.") }
            for (key, value) in members { meta[key] = value }
        case "warning":
            try note(message, into: \.warnings)
        case "log":
            try note(message, into: \.logs)
        case "charge":
            guard let count = message["count"]?.integerValue, count >= 0, count <= 1_000_000 else {
                throw ProtocolViolation("A charge line needs a count from 0 to 1,000,000.")
            }
            let event = message["event"]?.stringValue ?? job.event
            guard event == job.event else { throw ProtocolViolation("A charge line names event \(event); this worker bills per \(job.event).") }
            charged = (charged ?? 0) + Int(count)
        default:
            throw ProtocolViolation("An output line has no known type (data, item, meta, warning, charge or log).")
        }
    }

    /// What the run produced, as the worker's manifest shapes it; warnings join `meta.warnings`.
    public var result: ResultEnvelope {
        var meta = meta
        if !warnings.isEmpty {
            meta["warnings"] = .array((meta["warnings"]?.arrayValue ?? []) + warnings.map(JSONValue.string))
        }
        switch job.outputKind {
        case .object: return .object(data, meta: meta)
        case .list: return .list(items, meta: meta)
        }
    }

    /// The completed report: events are the `charge` lines' sum, or the items when there were none.
    public var completed: RunnerReport { .completed(result, events: charged ?? items.count) }

    private mutating func note(_ message: JSONValue, into list: WritableKeyPath<WorkerOutput, [String]>) throws(ProtocolViolation) {
        guard let text = message["message"]?.stringValue else { throw ProtocolViolation("A warning or log line needs a message string.") }
        logBytes += text.utf8.count
        guard logBytes <= limits.maxLogBytes else { throw ProtocolViolation("The worker's logs and warnings passed \(limits.maxLogBytes) bytes.") }
        self[keyPath: list].append(text)
    }

    static func excerpt(_ line: String) -> String {
        line.count > 80 ? String(line.prefix(80)) + "…" : line
    }
}

/// A job as the runner API hands it out, with what the runner needs to run it.
public struct RunnerJob: Sendable, Equatable {
    public var id: String
    public var attempt: Int
    public var input: JSONValue
    public var deadlineSeconds: Int
    public var outputKind: ResultEnvelope.Kind
    /// The manifest's billable event, which `charge` lines must name.
    public var event: String

    public init(id: String, attempt: Int, input: JSONValue, deadlineSeconds: Int, outputKind: ResultEnvelope.Kind, event: String) {
        self.id = id
        self.attempt = attempt
        self.input = input
        self.deadlineSeconds = deadlineSeconds
        self.outputKind = outputKind
        self.event = event
    }

    /// A job of a claim answer; nil if a member is missing.
    public init?(json: JSONValue) {
        guard let id = json["job_uuid"]?.stringValue, let attempt = json["attempt"]?.integerValue,
            let deadline = json["deadline_s"]?.integerValue,
            let kind = json["output_kind"]?.stringValue.flatMap(ResultEnvelope.Kind.init(rawValue:))
        else { return nil }
        self.init(
            id: id,
            attempt: Int(attempt),
            input: json["input"] ?? [:],
            deadlineSeconds: Int(deadline),
            outputKind: kind,
            event: json["event"]?.stringValue ?? "item"
        )
    }
}
